// Runs inside the runner container (see runner-in-container.test.ts): the runner emulator
// runs dist/ there, as a self-hosted runner in a pod or a docker-in-docker job would, and
// prints what it saw as one JSON line. Options come as JSON in argv[2].
import { runAction } from '../runner.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const result = await runAction(options);
process.stdout.write(`${JSON.stringify({ exitCode: result.main.exitCode, log: result.main.log, stdout: result.main.stdout, outputs: result.outputs })}\n`);
