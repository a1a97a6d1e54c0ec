/** `nepenthe` without tsx, for the GPU check's bundle (bench/gpu/bundle.mjs). */
import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
