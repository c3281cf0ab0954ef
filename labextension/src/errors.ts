/** The error a failed server call raises, carrying the body the server's error mapper wrote. */
import { IServerErrorBody } from './wire';

export class ServerError extends Error {
  constructor(
    readonly status: number,
    readonly body: IServerErrorBody
  ) {
    super(body.message || `request failed (${status})`);
    this.name = 'ServerError';
  }
}
