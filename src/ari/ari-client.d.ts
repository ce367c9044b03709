// ari-client ships no types; this declares the small part of its REST client that scripts
// comparing against a bare ari-client app use. The controller itself no longer imports it: its
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
  export function connect(url: string, user: string, password: string): Promise<AriRestClient>;
  const ari: { connect: typeof connect };
  export default ari;
}
