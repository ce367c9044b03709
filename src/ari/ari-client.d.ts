// ari-client ships no types; this declares the small part of it that scripts comparing against
// a bare ari-client app use. The controller itself no longer imports it: its
// REST goes through src/ari/ws-transport.ts or http-transport.ts (timeouts, aborts, a bound).
declare module 'ari-client' {
  type Rest = (params: Record<string, unknown>) => Promise<unknown>;
  export interface AriRestClient {
    channels: Record<
      | 'ring'
      | 'ringStop'
      | 'answer'
      | 'hangup'
      | 'play'
      | 'setChannelVar'
      | 'list'
      | 'originate'
      | 'get'
      | 'startMoh'
      | 'stopMoh'
      | 'record'
      | 'snoopChannel'
      | 'continueInDialplan',
      Rest
    >;
    playbacks: Record<'stop', Rest>;
    bridges: Record<'create' | 'addChannel' | 'destroy' | 'create_or_update_with_id' | 'record', Rest>;
    recordings: Record<'stop' | 'getStored' | 'deleteStored', Rest>;
    endpoints: Record<'list' | 'get', Rest>;
  }
  /** The client's events side, as the bench's bare ari-client app (bench/load/bare-app.ts) uses it. */
  export interface AriClient extends AriRestClient {
    on(event: string, handler: (event: { channel?: { id: string }; playback?: { id: string } }) => void): void;
    /** Opens the events WebSocket for the application; resolves once it is connected. */
    start(app: string): Promise<void>;
  }
  export function connect(url: string, user: string, password: string): Promise<AriClient>;
  const ari: { connect: typeof connect };
  export default ari;
}
