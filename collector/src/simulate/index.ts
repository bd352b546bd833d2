export { registerSimulateCommand } from './command.js';
export { runSimulation } from './run-simulation.js';
export type { SimulationOptions, SimulationResult } from './run-simulation.js';
export { buildPopulation } from './population.js';
export type { PopulationOptions } from './population.js';
export { Actor } from './actor.js';
export type { ActorKind } from './actor.js';
