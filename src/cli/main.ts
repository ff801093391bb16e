#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isImagewardenError, messageOf } from '../errors';
import { checkCommand } from './commands/check';
import { imagesCommand } from './commands/images';
import { feedsImportCommand, feedsListCommand, feedsUpdateCommand } from './commands/feeds';
import { reportCommand } from './commands/report';
import { runNowCommand } from './commands/run-now';
import { daemonCommand } from './commands/daemon';
import { JOBS } from '../../jobs';
import { CommandContext, type GlobalOptions } from './context';

/** Exit codes are a contract (DESIGN.md): 0 done, 1 non-compliant (check), 2 error. */
const EXIT_ERROR = 2;

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let exitCode = 0;
  const program = new Command('imagewarden')
    .description('Keeps the images in container registries compliant.')
    .option('--config <file>', 'config file (default ./config.yaml, else built-in defaults)')
    .option('--db <file>', 'SQLite database (overrides the config)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });

  const withContext = (cmd: Command, run: (ctx: CommandContext) => Promise<number> | number) => async () => {
    const ctx = new CommandContext(cmd.optsWithGlobals<GlobalOptions>());
    try {
      exitCode = await run(ctx);
    } finally {
      ctx.close();
    }
  };

  const check = program
    .command('check')
    .description('scan one image now and check it against the policies, as roxctl image check does (exit 1: an enforced policy failed)')
    .argument('<image>', 'host[:port]/repo[:tag][@sha256:…]')
    .option('--json', 'print one JSON object (same as --output json)')
    .option('--output <format>', 'table, json, sarif (SARIF 2.1.0) or junit (JUnit XML)', 'table')
    .option('--namespace <name>', 'evaluate as deployed in this OpenShift namespace (namespace-scoped allowed registries and policies)')
    .option('--policy <file>', 'evaluate the policies (and ignore list) of this YAML file instead of the config\'s; the verdict is not stored')
    .option('--platform <os/arch[/variant]>', 'entry of a multi-arch index to scan (default: scan.platform)');
  check.action((image: string) => withContext(check, (ctx) => checkCommand(ctx, image, check.opts(), out))());

  const images = program.command('images').description('list stored images').option('--json', 'print JSON');
  images.action(() => withContext(images, (ctx) => imagesCommand(ctx, images.opts(), out))());

  const feeds = program.command('feeds').description('vulnerability feeds: import, update, list');
  const feedsImport = feeds
    .command('import')
    .description('load feed files, folders or archives as one feed (format auto-detected)')
    .argument('<path...>', 'files, folders, .gz/.bz2/.xz files or .zip archives')
    .option('--format <format>', 'osv, alpine-secdb, debian-tracker, redhat-oval or redhat-csaf (default: detected)')
    .option('--name <name>', 'feed name (default: the configured feed with this path, else the file name)');
  feedsImport.action((paths: string[]) => withContext(feedsImport, (ctx) => feedsImportCommand(ctx, paths, feedsImport.opts(), out))());
  const feedsUpdate = feeds.command('update').description('download (if changed) and import every configured feed');
  feedsUpdate.action(() => withContext(feedsUpdate, (ctx) => feedsUpdateCommand(ctx, out, err))());
  const feedsList = feeds.command('list').description('list imported feeds').option('--json', 'print JSON');
  feedsList.action(() => withContext(feedsList, (ctx) => feedsListCommand(ctx, feedsList.opts(), out))());

  const runNow = program
    .command('run-now')
    .description('run jobs once and print their summaries')
    .option('--job <name>', `${JOBS.map((j) => j.name).join(', ')}, or all`, 'all')
    .option('--source <name>', 'limit a sweep to this configured source');
  runNow.action(() => withContext(runNow, (ctx) => runNowCommand(ctx, runNow.opts(), out))());

  const report = program
    .command('report')
    .description("render (and mail) a day's compliance report; it is archived under report.directory")
    .option('--out <file>', 'also write the report (or the export) to this file')
    .option('--email', 'mail the report to report.email')
    .option('--date <YYYY-MM-DD>', 'a past day, rebuilt from the stored history (default: today in the configured timezone)')
    .option('--format <format>', 'html, json or csv (one row per image reference)', 'html');
  report.action(() => withContext(report, (ctx) => reportCommand(ctx, report.opts(), out))());

  const daemon = program.command('daemon').description('run the scheduled jobs until SIGTERM, serving /healthz /readyz /metrics');
  daemon.action(() => withContext(daemon, (ctx) => daemonCommand(ctx))());

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : EXIT_ERROR;
    }
    err.write(`imagewarden: ${isImagewardenError(e) ? e.describe() : messageOf(e)}\n`);
    return EXIT_ERROR;
  }
  return exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`imagewarden: ${messageOf(e)}\n`);
      process.exitCode = EXIT_ERROR;
    },
  );
}
