export * from './event.js';
export * from './ip.js';
export * from './ip-parse.js';
export * from './alert.js';
export * from './decision.js';
export * from './api.js';
