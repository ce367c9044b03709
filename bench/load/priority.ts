// The CPU priority the bench runs the two ARI systems at (README: "CPU priority"). The controller
// is one event-loop thread serving every call; Asterisk runs a thread per channel. When the
// machine is saturated (100 calls/s on 2 cores: Asterisk alone wants both), the kernel shares the
// CPU per runnable thread, so at the default priority a thousand channel threads starve the one
// thread every call waits on: measured event-loop delay max 0.6-2.0 s at 100 calls/s, CPU
// profile gaps of 0.5 s in the middle of plain JavaScript. A deployment gives the controller's
// service a higher priority (systemd CPUSchedulingPolicy=rr or Nice=-10); the bench starts it
// the same way, and the bare app too, so the two compare like for like. Asterisk and SIPp keep
// the default.
export const PRIORITIES = ['normal', 'high', 'realtime'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The command that starts `argv` at that priority (needs root or CAP_SYS_NICE above normal). */
export function atPriority(priority: Priority, argv: readonly string[]): string[] {
  switch (priority) {
    case 'normal':
      return [...argv];
    case 'high':
      return ['nice', '-n', '-10', ...argv];
    case 'realtime':
      // Round-robin at the lowest real-time priority: above every normal thread, below the
      // kernel's own; the kernel still keeps 5 % of each second for normal threads.
      return ['chrt', '--rr', '1', ...argv];
  }
}
