// asterisk-manager ships no types; the part the AMI monitor uses.
declare module 'asterisk-manager' {
  interface ManagerEvent {
    event: string;
    [key: string]: unknown;
  }
  interface Manager {
    on(event: 'managerevent', listener: (event: ManagerEvent) => void): void;
    on(event: 'close' | 'end' | 'connect', listener: () => void): void;
    on(event: 'error', listener: (err: Error) => void): void;
    removeAllListeners(): void;
    disconnect(): void;
    isConnected(): boolean;
  }
  function AsteriskManager(port: number, host: string, user: string, secret: string, events: boolean): Manager;
  export default AsteriskManager;
}
