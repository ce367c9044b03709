// npm run bench:load's small readers: /proc figures of another process (bench/load/proc.ts),
// Asterisk's RTP range and which channels are a system's (bench/load/asterisk.ts), the ports and
// sessions it asks the sandbox for (bench/load/sandbox.ts), and its Markdown table with its columns.
import { describe, expect, it } from 'vitest';
import { isChannelOf, parseRtpRange } from '../../bench/load/asterisk.js';
import { BENCH_ENTRIES } from '../../bench/load/dialplan.js';
import { parseProcStatTicks, parseVmRssKb, sampleProcess } from '../../bench/load/proc.js';
import { sandboxSettings } from '../../bench/load/sandbox.js';
import { COLUMNS, markdownTable, resultsTable, tableRow } from '../../bench/load/table.js';
import { benchRun } from './support/bench-run.js';

describe('/proc readers (bench:load)', () => {
  it('takes utime + stime (fields 14 and 15), even when the command name holds spaces and parentheses', () => {
    const stat = '4242 (node (tsx) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 56 0 0 20 0 11 0 100 1000000 25000 ...';
    expect(parseProcStatTicks(stat)).toBe(1290);
    expect(() => parseProcStatTicks('1 (x) S')).toThrow(/unreadable/);
  });

  it('reads VmRSS in kB', () => {
    expect(parseVmRssKb('Name:\tnode\nVmPeak:\t  900000 kB\nVmRSS:\t   98304 kB\nRssAnon:\t 1 kB\n')).toBe(98304);
    expect(() => parseVmRssKb('Name:\tkthreadd\n')).toThrow(/no VmRSS/);
  });

  it('samples this very process, and nothing for a pid that is gone', () => {
    const s = sampleProcess(process.pid)!;
    expect(s.cpuMs).toBeGreaterThan(0);
    expect(s.rssKb).toBeGreaterThan(10_000);
    expect(sampleProcess(2 ** 22 + 7)).toBeUndefined();
  });
});

describe('Asterisk readers (bench:load)', () => {
  it('reads the live RTP range from `rtp show settings`', () => {
    const out = '\n\nGeneral Settings:\n----------------\n  Port start:      10000\n  Port end:        14799\n  Checksums:       Yes\n';
    expect(parseRtpRange(out)).toEqual({ start: 10000, end: 14799 });
    expect(parseRtpRange('No such command')).toBeUndefined();
  });

  it("counts a channel as a system's by its context, its number in the arrival context, or its application", () => {
    const entry = BENCH_ENTRIES.controller;
    expect(isChannelOf({ id: '1', name: 'PJSIP/callers-1', state: 'Up', dialplan: { context: entry.context, exten: entry.number } }, entry)).toBe(true);
    expect(isChannelOf({ id: '2', name: 'PJSIP/callers-2', state: 'Ring', dialplan: { context: 'hotline-inbound', exten: entry.number } }, entry)).toBe(true);
    const inApp = { id: '3', name: 'PJSIP/callers-3', state: 'Up', dialplan: { context: 'elsewhere', exten: 's', app_name: 'Stasis', app_data: 'hotline-bench,talk-detect' } };
    expect(isChannelOf(inApp, entry, 'hotline-bench')).toBe(true);
    expect(isChannelOf(inApp, entry, 'hotline-bench-bare')).toBe(false);
    // An end-to-end lane's caller on the same Asterisk is not the bench's.
    expect(isChannelOf({ id: '4', name: 'Local/x', state: 'Up', dialplan: { context: 'hotline-lane-3', exten: '4008008000', app_name: 'Stasis', app_data: 'hotline-lane-3' } }, entry, 'hotline-bench')).toBe(false);
    expect(isChannelOf({ id: '5', name: 'x', state: 'Up' }, entry)).toBe(false);
  });
});

describe('sandboxSettings (bench:load)', () => {
  it('asks for 2 RTP ports per live caller with a quarter more, and a session per live call up to the capacity', () => {
    // 150 calls/s, each up 12 s: 1,800 callers live.
    expect(sandboxSettings({ peakLiveCalls: 1800, maxCalls: 1200 })).toEqual({ rtpPorts: 4500, sessionLimit: 1300 });
    // A smoke run fits the sandbox's defaults (1,000 ports, 300 sessions): nothing to regenerate.
    expect(sandboxSettings({ peakLiveCalls: 35, maxCalls: 1200 })).toEqual({ rtpPorts: 88, sessionLimit: 135 });
  });
});

describe('markdownTable (bench:load)', () => {
  it('pads the columns and keeps the Markdown separators', () => {
    expect(markdownTable(['a', 'system'], [['12345', 'bare'], ['1', 'controller']])).toBe(
      ['| a     | system     |', '|-------|------------|', '| 12345 | bare       |', '| 1     | controller |'].join('\n'),
    );
  });
});

describe('the results table (bench:load)', () => {
  const cell = (row: string[], column: (typeof COLUMNS)[number]) => row[COLUMNS.indexOf(column)];

  it('has a "hotline BYE" column beside "failed": answered calls the hotline hung up first, not failures', () => {
    expect(COLUMNS.indexOf('hotline BYE')).toBe(COLUMNS.indexOf('failed') + 1);
    const shedding = benchRun('controller', {
      rate: 100,
      sipp: { attempted: 2000, successful: 2000, failed: 0, answered: 2000, endedByCaller: 1010, endedByHotline: 990 },
      store: { calls: 2000, events: 11_010, missingRows: 0, missingHangups: 0, unfinished: 0, shed: { controller: 990 } },
    });
    const row = tableRow(shedding);
    expect(row).toHaveLength(COLUMNS.length);
    expect([cell(row, 'attempted'), cell(row, 'answered'), cell(row, 'failed'), cell(row, 'hotline BYE'), cell(row, 'shed')]).toEqual(['2000', '2000', '0', '990', '990']);
    // The floor and the bare app have no store, but their hotline BYE is SIPp's: 0 when all is well, shown when not.
    expect(cell(tableRow(benchRun('dialplan')), 'hotline BYE')).toBe('0');
    expect(cell(tableRow(benchRun('bare', { sipp: { endedByHotline: 4 } })), 'hotline BYE')).toBe('4');
    expect(cell(tableRow(benchRun('dialplan')), 'shed')).toBe('–');
  });

  it('puts the column in the Markdown table', () => {
    const [header, , first] = resultsTable([benchRun('controller', { sipp: { endedByHotline: 3 } })]).split('\n');
    expect(header).toMatch(/\| failed \| hotline BYE \| INVITE→200/);
    expect(first).toMatch(/\| 0 +\| 3 +\| 2\.0 \/ 4\.0 \/ 5\.0 /);
  });
});
