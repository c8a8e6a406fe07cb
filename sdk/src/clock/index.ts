/**
 * Clock: hybrid logical clocks, the version order of everything replicated between nodes
 * (contract records now, chat later). Wall time alone would let a node with a fast clock
 * win every conflict; HLC orders causally related updates correctly whatever the skew and
 * breaks ties by node ID, so every node picks the same winner.
 */
export { HybridClock, compareHlc, ClockDriftError, MAX_CLOCK_DRIFT_MS, type HlcTimestamp, type HybridClockInit } from './hlc.js';
