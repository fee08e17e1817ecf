#!/usr/bin/env node
// The dubd executable: runs the compiled CLI (npm start / npm test build it first).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
