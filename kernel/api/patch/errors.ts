// Status answers shared by the patch flavours.
import { StatusError } from '../../objects/status.js';

/** Upstream's 422 for a patch that is well-formed but cannot be applied; the reason is the cause. */
export function unprocessable(reason: string): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: reason }],
  });
}
