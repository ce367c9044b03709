// Issue 12: what a caller the controller sheds meets (admission.ts decides who). Never a phone
// left ringing, never silence: the call is answered inside the ring budget (N1), at the flow's
// own answer time, and hears why. Three routes, cheapest first when the controller or Asterisk
// is the problem:
//  - callback: shed for capacity (the controller itself is fine), the flow offers a callback
//    (`overload.callback`) and a callback slot is free: the controller answers on time,
//    apologises (`busy.callback`), takes a callback number (N7, the capture-number verb with the
//    section's settings), thanks the caller and hangs up. A callback to a caller shed at the
//    capacity is the hotline keeping its promise without taking one more call into the flow.
//  - dialplan: otherwise the call goes back to the generated entry dialplan's `shed` label (one
//    ARI request): Asterisk rings on to the same answer time, answers, plays `overload.prompt`
//    and ends or routes the call as `unavailable.then` says. The controller keeps nothing of it.
//    Always this way when shed for the event loop or for ARI latency: a late controller or a
//    late Asterisk must not take on a call it would serve late (a callback capture is a dozen
//    ARI requests; the hand-back is one).
//  - controller: a call that did not come from the generated entry (no `shed` label), or whose
//    hand-back failed, is answered and apologised to by the controller itself.
// Logged as call.shed (N1: reason, the figures, the route), before anything else of the call.
import { SHED_LABEL } from '../asterisk/render-config.js';
import type { FlowContext } from '../flow/context.js';
import { answer } from '../flow/verbs/answer.js';
import { captureNumber } from '../flow/verbs/capture-number.js';
import type { Shed, Ticket } from './admission.js';

/** The call's own side of a hand-back (CallSession). */
export interface HandBack {
  readonly canHandBack: boolean;
  handBack(label: string): Promise<void>;
}

export interface ShedOutcome {
  /** The call went back to the dialplan: the controller must neither hang it up nor log its end. */
  handedBack: boolean;
}

// The steps the shed route runs are not the flow's: they have a fixed id in the events.
const STEP = 'overload';

export async function shedCall(
  ctx: FlowContext,
  session: HandBack,
  shed: Shed,
  slots: { callbackSlot(): Ticket | undefined },
): Promise<ShedOutcome> {
  const { call, flow, logger } = ctx;
  const offer = flow.overload.callback;
  // Shed for the controller's own lag or Asterisk's, it takes on nothing it can give away.
  const slot = offer !== false && shed.reason === 'capacity' && ctx.services.callbacks ? slots.callbackSlot() : undefined;
  const log = (route: 'dialplan' | 'callback' | 'controller') => {
    ctx.record('call.shed', { ...shed, route });
    logger.warn({ reason: shed.reason, liveCalls: shed.liveCalls, loopDelayMs: shed.loopDelayMs, ariLatencyMs: shed.ariLatencyMs, route }, 'call shed');
  };
  try {
    if (!slot && session.canHandBack) {
      try {
        await session.handBack(SHED_LABEL);
        log('dialplan');
        return { handedBack: true };
      } catch (err) {
        // The caller hung up meanwhile: nothing more to do (the handler logs the end).
        if (call.signal.aborted) throw err;
        logger.error({ err }, 'shed: the hand-back to the dialplan failed; the controller apologises itself');
      }
    }
    log(slot ? 'callback' : 'controller');
    // N1: ringback, answered at the flow's answer time from the channel's creation.
    await answer.run(ctx, { verb: 'answer', next: STEP }, STEP);
    if (slot && offer !== false) {
      await call.play([offer.prompt]);
      const { reason, tries, timeoutMs } = offer;
      await captureNumber.run(ctx, { verb: 'capture-number', reason, tries, timeoutMs, next: STEP, failed: STEP }, STEP);
      await call.play(['closing.thanks']);
    } else {
      await call.play([flow.overload.prompt]);
    }
    return { handedBack: false };
  } finally {
    slot?.release();
  }
}
