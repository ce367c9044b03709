// Issue 9: the contract between the controller and the generated answering-machine context
// (src/asterisk/render-config.ts). AMD() is a dialplan application, and a channel in Stasis
// runs no dialplan, so an answered callback leg is sent out of the application into this
// context (ARI `continue`) with two channel variables: AMD()'s arguments and the leg's own
// Stasis arguments. It comes back into the application with AMD's verdict appended:
// `Stasis(<app>,<role>,<owner>,amd,<AMDSTATUS>,<AMDCAUSE>)`. The leg is originated into the
// application as every other leg (not into this context), so the application is subscribed to
// it from the start and sees its ringing, busy and no-answer as before; Asterisk keeps that
// subscription while the leg runs the dialplan, so a callee who hangs up during AMD is seen too.

/** The generated context and extension an answered leg is continued to. */
export const AMD_CONTEXT = 'hotline-callback-amd';
export const AMD_EXTENSION = 'amd';
/** AMD()'s arguments, comma-separated, as the flow in force says. */
export const AMD_PARAMS_VARIABLE = 'HOTLINE_AMD_PARAMS';
/** `<application>,<the leg's Stasis arguments>`: where the leg comes back, and as what. */
export const AMD_STASIS_VARIABLE = 'HOTLINE_AMD_STASIS';
/** The Stasis argument that says AMD's verdict follows. */
export const AMD_ARG = 'amd';

/** AMD's AMDSTATUS values (app_amd.c). */
export const AMD_STATUSES = ['MACHINE', 'HUMAN', 'NOTSURE', 'HANGUP'] as const;
export type AmdStatus = (typeof AMD_STATUSES)[number];

export interface AmdVerdict {
  status: AmdStatus;
  /** AMDCAUSE, e.g. `LONGGREETING-1500-1500`, `HUMAN-800-800`, `TOOLONG-5000`; '' when AMD set none. */
  cause: string;
}

/**
 * AMD's verdict in a leg's Stasis arguments (`<role>,<owner>,amd,<status>,<cause>`), or
 * undefined when the arguments carry none (the leg's first entry). AMD leaves AMDSTATUS empty
 * when it could not run on the channel (no signed-linear path): that is NOTSURE, it decided
 * nothing.
 */
export function amdVerdictOf(args: readonly string[]): AmdVerdict | undefined {
  if (args[2] !== AMD_ARG) return undefined;
  const raw = args[3] ?? '';
  const status = (AMD_STATUSES as readonly string[]).includes(raw) ? (raw as AmdStatus) : 'NOTSURE';
  return { status, cause: args[4] ?? '' };
}
