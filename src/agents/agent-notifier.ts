// The agent's screen (N6 whisper): what an offered call is about, then whether it connected and
// when it ended. Calls publish here; the HTTP event stream subscribes per agent. A callback (N8)
// is offered as `callback`: the agent is reached before the callee is dialled, and told why.
import { EventEmitter } from 'node:events';
import type { CallOffer } from './call-offer.js';

export type AgentEvent =
  | { type: 'offer' | 'callback'; info: CallOffer }
  | { type: 'connected'; callId: string }
  | { type: 'ended'; callId: string };

export type AgentEventListener = (event: AgentEvent) => void;

export interface CurrentCall {
  info: CallOffer;
  connected: boolean;
}

/** How the screen is told of an offered call. */
export const offerType = (info: CallOffer): 'offer' | 'callback' => (info.callback ? 'callback' : 'offer');

// Event names are prefixed: an agent id of "error" must not become EventEmitter's 'error'.
type Events = Record<`agent:${string}`, [AgentEvent]>;
const eventName = (agentId: string) => `agent:${agentId}` as const;

export class AgentNotifier {
  private readonly emitter = new EventEmitter<Events>();
  private readonly current = new Map<string, CurrentCall>();

  /**
   * @param onListenerError A listener that throws must not throw into the call that published;
   *   its error goes here (to the logger) instead.
   */
  constructor(private readonly onListenerError: (err: unknown, agentId: string) => void = () => undefined) {}

  /** A call offered to the agent: `callback` when the hotline calls back (info.callback), else `offer`. */
  offer(agentId: string, info: CallOffer): void {
    this.current.set(agentId, { info, connected: false });
    this.emit(agentId, { type: offerType(info), info });
  }

  connected(agentId: string, callId: string): void {
    const call = this.current.get(agentId);
    if (call?.info.callId === callId) call.connected = true;
    this.emit(agentId, { type: 'connected', callId });
  }

  ended(agentId: string, callId: string): void {
    if (this.current.get(agentId)?.info.callId === callId) this.current.delete(agentId);
    this.emit(agentId, { type: 'ended', callId });
  }

  /**
   * The call offered to the agent and not yet ended, so a screen that (re)connects mid-call
   * (EventSource reconnects on its own) still shows the whisper.
   */
  currentCall(agentId: string): CurrentCall | undefined {
    const call = this.current.get(agentId);
    return call && { info: call.info, connected: call.connected };
  }

  subscribe(agentId: string, listener: AgentEventListener): () => void {
    const wrapped = (event: AgentEvent) => {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err, agentId);
      }
    };
    this.emitter.on(eventName(agentId), wrapped);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.emitter.off(eventName(agentId), wrapped);
    };
  }

  listenerCount(agentId: string): number {
    return this.emitter.listenerCount(eventName(agentId));
  }

  private emit(agentId: string, event: AgentEvent): void {
    this.emitter.emit(eventName(agentId), event);
  }
}
