// A name registry: first come, first served; owners may transfer or release their names.
//
//   plexus deploy examples/contracts/registry.js
//   plexus call <address> register alice 127.0.0.1:5000
//   plexus call <address> resolve alice

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function init(state) {
  state.names = {};
}

export function register(state, ctx, name, value) {
  if (typeof name !== 'string' || !NAME.test(name)) throw new Error('names are 1-63 of a-z, 0-9 and -, not starting with -');
  const entry = state.names[name];
  if (entry && entry.owner !== ctx.caller) throw new Error(`${name} is taken`);
  state.names[name] = { owner: ctx.caller, value: value ?? null, registeredAt: entry?.registeredAt ?? ctx.time, updatedAt: ctx.time };
  return state.names[name];
}

export function transfer(state, ctx, name, newOwner) {
  const entry = owned(state, ctx, name);
  entry.owner = newOwner;
  entry.updatedAt = ctx.time;
  return entry;
}

export function release(state, ctx, name) {
  owned(state, ctx, name);
  delete state.names[name];
  return true;
}

export function resolve(state, ctx, name) {
  return state.names[name] ?? null;
}

export function list(state) {
  return Object.keys(state.names).sort();
}

function owned(state, ctx, name) {
  const entry = state.names[name];
  if (!entry) throw new Error(`${name} is not registered`);
  if (entry.owner !== ctx.caller) throw new Error(`${name} belongs to someone else`);
  return entry;
}
