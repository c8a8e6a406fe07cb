// A fungible token. The deployer owns it; the owner and the minters it names may mint.
//
//   plexus deploy examples/contracts/token.js --args '["Plexus Token", "PLX"]'
//   plexus call <address> mint <nodeId> 100
//   plexus call <address> transfer <nodeId> 25
//   plexus call <address> balanceOf <nodeId>
//
// Every function receives (state, ctx, ...args): `state` is the contract's JSON state, to be
// changed in place; `ctx` is { caller, time, address, name } (see docs/contracts.md).

export function init(state, ctx, name = 'Token', symbol = 'TKN', minters = []) {
  state.name = name;
  state.symbol = symbol;
  state.owner = ctx.caller;
  state.minters = [ctx.caller, ...minters];
  state.totalSupply = 0;
  state.balances = {};
}

export function addMinter(state, ctx, who) {
  if (ctx.caller !== state.owner) throw new Error('only the owner may add minters');
  if (!state.minters.includes(who)) state.minters.push(who);
  return state.minters;
}

export function mint(state, ctx, to, amount) {
  if (!state.minters.includes(ctx.caller)) throw new Error('only a minter may mint');
  checkAmount(amount);
  state.balances[to] = (state.balances[to] ?? 0) + amount;
  state.totalSupply += amount;
  return state.balances[to];
}

export function transfer(state, ctx, to, amount) {
  checkAmount(amount);
  const from = ctx.caller;
  const balance = state.balances[from] ?? 0;
  if (balance < amount) throw new Error(`insufficient balance: ${balance} < ${amount}`);
  state.balances[from] = balance - amount;
  state.balances[to] = (state.balances[to] ?? 0) + amount;
  return state.balances[from];
}

export function balanceOf(state, ctx, who) {
  return state.balances[who ?? ctx.caller] ?? 0;
}

export function totalSupply(state) {
  return state.totalSupply;
}

function checkAmount(amount) {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error('amount must be a positive whole number');
}
