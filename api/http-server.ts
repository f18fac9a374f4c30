/**
 * The HTTP server of the Express app, with each request and response made by Node as the app's own.
 *
 * Express gives every request and response the app's prototype (`app.request`, `app.response`) with
 * `Object.setPrototypeOf`, once per request. V8 then keeps what those objects reach through the next minor
 * collections: here some 2.7 MB was copied and promoted at each scavenge of a plain Express route (none
 * without the prototype change), each scavenge took 2–5 ms instead of 0.5, and the route served about half
 * the requests per second (`npm run bench:http` measures it). Here Node's server constructs requests and
 * responses from classes whose prototypes are the app's — `app.request` and `app.response` become those
 * classes' prototypes, with what they held — so Express's `setPrototypeOf` finds the prototype already in
 * place and changes nothing. Anything that serves the app another way (supertest's own server) still works:
 * Express then sets the prototype as usual.
 */
import http from 'node:http';
import type { Express } from 'express';

type Classes = Pick<http.ServerOptions, 'IncomingMessage' | 'ServerResponse'>;
const classes = new WeakMap<Express, Classes>();

/** The request and response classes of `app` (made once per app: `app.request`/`app.response` become their prototypes). */
function classesOf(app: Express): Classes {
  const known = classes.get(app);
  if (known) return known;
  class AppRequest extends http.IncomingMessage {}
  class AppResponse<R extends http.IncomingMessage = http.IncomingMessage> extends http.ServerResponse<R> {}
  for (const [made, key] of [
    [AppRequest, 'request'],
    [AppResponse, 'response'],
  ] as const) {
    const own: object = app[key];
    // The app's prototype object (its `app`, anything a module added) with the same chain behind it.
    Object.setPrototypeOf(made.prototype, Object.getPrototypeOf(own));
    Object.defineProperties(made.prototype, Object.getOwnPropertyDescriptors(own));
    (app as unknown as Record<string, object>)[key] = made.prototype;
  }
  const out = { IncomingMessage: AppRequest, ServerResponse: AppResponse };
  classes.set(app, out);
  return out;
}

/** An HTTP server for `app` (not listening yet). */
export function createHttpServer(app: Express): http.Server {
  return http.createServer(classesOf(app), app);
}

/**
 * As Express's `app.listen`, on `createHttpServer`: a callback is called once — when the server listens, or
 * with the error when it cannot (a port taken). Later server errors (an `accept` failing, EMFILE) reach the
 * spent callback and go no further: Node keeps accepting (Express's `once` listener would let a second one
 * crash the process).
 */
export function listen(app: Express, ...args: unknown[]): http.Server {
  const server = createHttpServer(app);
  const last = args.at(-1);
  if (typeof last === 'function') {
    let called = false;
    const once = (...a: unknown[]) => {
      if (called) return;
      called = true;
      (last as (...b: unknown[]) => void)(...a);
    };
    args[args.length - 1] = once;
    server.on('error', once);
  }
  return server.listen(...(args as Parameters<http.Server['listen']>));
}
