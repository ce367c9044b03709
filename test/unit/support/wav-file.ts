// N14: small WAV files for recording tests, as Asterisk writes them (8 kHz, 16-bit, mono).

/** A PCM WAV: 16-bit mono 8 kHz, `ms` long, with a 44-byte header. */
export function wav(ms: number): Buffer {
  const dataBytes = Math.round((8000 * 2 * ms) / 1000);
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(8000, 24);
  out.writeUInt32LE(16_000, 28); // byte rate
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  return out;
}
