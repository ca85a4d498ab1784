/**
 * The parts of undici the client uses, imported by their own paths so the
 * bundle carries the pool, its HTTP client and request() only, not fetch,
 * WebSocket, the cache and the mock agents of undici's index (~5 MB less
 * resident once loaded). Typed as undici's own exports.
 */
declare module "undici/lib/dispatcher/pool.js" {
  import type { Pool } from "undici";
  const PoolClass: typeof Pool;
  export default PoolClass;
}

declare module "undici/lib/core/errors.js" {
  import type { errors } from "undici";
  const undiciErrors: typeof errors;
  export default undiciErrors;
}

declare module "undici/lib/api/api-request.js" {
  import type { Dispatcher } from "undici";
  /** undici's request(), called with the pool as `this` (its index puts it on Dispatcher.prototype). */
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}
