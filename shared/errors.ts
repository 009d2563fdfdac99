/** The message of anything thrown: an Error's message, else the value as text (a throw need not be an Error). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
