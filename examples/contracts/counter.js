// A counter anyone may change.
//
//   plexus deploy examples/contracts/counter.js --args '[10]'
//   plexus call <address> increment 5
//   plexus call <address> get

export function init(state, ctx, start = 0) {
  state.count = start;
  state.updates = 0;
}

export function increment(state, ctx, by = 1) {
  if (!Number.isSafeInteger(by)) throw new Error('by must be a whole number');
  state.count += by;
  state.updates += 1;
  state.lastBy = ctx.caller;
  return state.count;
}

export function decrement(state, ctx, by = 1) {
  return increment(state, ctx, -by);
}

export function get(state) {
  return state.count;
}
