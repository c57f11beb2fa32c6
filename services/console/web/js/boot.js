// Loaded with `async` before app.js: starts the first page's API calls as
// soon as this small module and its two imports are in, while the larger
// modules still load and compile (one waterfall step less on a fresh load).
import { prefetch } from './api.js';
import { parseHash, firstCalls } from './routes.js';

prefetch(firstCalls(parseHash(location.hash)));
