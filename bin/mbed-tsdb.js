#!/usr/bin/env node
// Runs the bundled CLI (npm install in a checkout builds it into dist/cli; the package carries it).
// mbed-tsdb supports Node 20; the AWS SDK's notice that its 2027 releases will need Node 22
// is for this package's maintainers, not for a person running setup.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let cli;
try {
  cli = await import('../dist/cli/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli/cli.js')) throw error;
  process.stderr.write('mbed-tsdb: this copy is not built yet: run `npm install` (or `npm run build`) in its folder.\n');
  process.exit(1);
}
// The first Ctrl+C asks the command to stop cleanly; a second one ends the process at once.
const interrupted = new Promise((resolve) => {
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping… (Ctrl+C again to quit at once)\n');
    process.once('SIGINT', () => process.exit(130));
    resolve();
  });
});
const code = await cli.main(process.argv.slice(2), {
  streams: { stdout: process.stdout, stderr: process.stderr },
  env: process.env,
  cwd: process.cwd(),
  interrupted,
  stdin: process.stdin,
});
// Exit now: after Ctrl+C, work still in flight must not go on in the background.
process.exit(code);
