// The bench's bare ari-client app (issue 12): what an ARI app that does only this call costs,
// the yardstick of the controller's CPU per call. It answers, plays the greeting's files, then
// the menu's (the same files as the controller and the floor, from the bench's environment),
// hangs up when they are done and forgets the call at its StasisEnd. No timeouts, no bound on
// requests, no records: on purpose. Run by bench/load/systems.ts with node --import tsx.
import ari from 'ari-client';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const ignore = () => undefined;
// An event ari-client's API description does not know, or a rejection nobody awaits, would
// end the process mid-run (see ASTERISK.md); the baseline must outlive the run.
process.on('uncaughtException', (err) => console.error('bare app:', err.message));
process.on('unhandledRejection', ignore);

const client = await ari.connect(env('ARI_URL'), env('ARI_USER'), env('ARI_PASSWORD'));
const greeting = env('BENCH_GREETING'); // comma-separated sound: URIs
const menu = env('BENCH_MENU');
const after = new Map<string, { channelId: string; next: 'menu' | 'hangup' }>(); // playback id → what follows it

const play = (channelId: string, media: string, next: 'menu' | 'hangup') => {
  const playbackId = `${channelId}-${next}`;
  after.set(playbackId, { channelId, next }); // before the request: its PlaybackFinished may come first
  return client.channels.play({ channelId, media, playbackId });
};
client.on('StasisStart', ({ channel }) => {
  if (!channel) return;
  client.channels.answer({ channelId: channel.id }).then(() => play(channel.id, greeting, 'menu')).catch(ignore);
});
client.on('PlaybackFinished', ({ playback }) => {
  const step = playback && after.get(playback.id);
  if (!playback || !step) return;
  after.delete(playback.id);
  const done = step.next === 'menu' ? play(step.channelId, menu, 'hangup') : client.channels.hangup({ channelId: step.channelId });
  done.catch(ignore);
});
client.on('StasisEnd', ({ channel }) => {
  if (!channel) return;
  after.delete(`${channel.id}-menu`);
  after.delete(`${channel.id}-hangup`);
});
await client.start(env('BENCH_APP'));
console.log('ready');
