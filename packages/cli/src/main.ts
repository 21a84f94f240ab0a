/**
 * The `pathgrad` command line (commander): demo, attribute, train, evaluate, bench,
 * reproduce. Bad input ends with one line on stderr and exit code 2 (a stack trace only with
 * --verbose); outputs are written to a temporary file and renamed, so nothing partial stays.
 */
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { QUADRATURE_METHODS } from '@pathgrad/attribution';
import { EXIT_BAD_INPUT, EXIT_FAILURE, isBadInput, oneLine } from './errors.js';
import { DEFAULT_BLOCK_SIZE, attributeCommand, attributeMergeCommand, type AttributeArgs } from './commands/attribute.js';
import { slurmCommand, type SlurmArgs } from './commands/slurm.js';
import { demoCommand, type DemoArgs } from './commands/demo.js';
import { evaluateCommand, type EvaluateArgs } from './commands/evaluate.js';
import { benchCommand, listPapers, reproduceCommand } from './commands/scripts.js';
import { trainCommand, type TrainArgs } from './commands/train.js';
import { registerIgcCommand } from './commands/igc.js';
import { describeMethods } from './methods.js';
import { addInputLimitOptions, addModelLimitOptions } from './load.js';
import { setForceOutput } from './output.js';
import { isQuiet, setQuiet } from './progress.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const INPUT_HELP = `Inputs (--input):
  FILE.npy              an array [N, ...] (float32/float64/int), e.g. [N, 1, 28, 28]
  a.png,b.jpg           PNG/JPEG files (comma separated), decoded with pngjs/jpeg-js and converted
                        as the MNIST models expect: gray = 0.299 R + 0.587 G + 0.114 B (transparent =
                        black), inverted if mostly light (MNIST is white on black), padded to a
                        square and area-averaged to 28x28, values in [0, 1], shape [1, 28, 28]
  mnist:test:0-15       MNIST images by index (also mnist:train:3,7,10-12)
Models (--model):
  mlp | cnn             the shipped pretrained MNIST models
  FILE.onnx             a feed-forward ONNX graph (e.g. torch.onnx.export)
  FILE.safetensors      weights with PyTorch names; needs --arch mnist-mlp|mnist-cnn`;

/**
 * The commander program (without parsing); `log` receives progress and result lines.
 * @example
 * ```ts
 * buildProgram(console.error).parse(['node', 'pathgrad', '--help']);
 * ```
 */
export function buildProgram(log: (line: string) => void, setExit: (code: number) => void): Command {
  const program = new Command('pathgrad')
    .description('Explain neural networks with path-integrated gradients: run `pathgrad demo` for a report on MNIST.')
    .option('--verbose', 'print stack traces on errors')
    .option('--quiet', 'no progress or information lines (errors still print, on one line)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });

  program
    .command('demo')
    .description('explain MNIST test digits with every method and write an HTML report (pathgrad-report/index.html)')
    .option('--out <dir>', 'report folder', 'pathgrad-report')
    .option('--images <n>', 'number of test digits to explain (at least one misclassified one is included when the model has any)', '8')
    .option('--model <model>', 'mlp, cnn (shipped pretrained) or FILE.onnx / FILE.safetensors (with --arch)', 'cnn')
    .option('--arch <arch>', 'architecture of a .safetensors --model: mnist-mlp or mnist-cnn')
    .option('--methods <list>', 'comma-separated methods (default: all; see `pathgrad attribute --help`)')
    .option('--seed <n>', 'seed of every random choice', '0')
    .option('--quick', 'smaller settings everywhere (for tests and slow machines)')
    .option('--backend <name>', 'tensor backend: wasm (float32 SIMD, default when available), cpu or gpujs', 'wasm')
    .action(async (opts: DemoArgs) => {
      await demoCommand(opts, log);
    });

  const attribute = program
    .command('attribute')
    .description('attribute a model\'s outputs to its inputs with one method')
    .option('--model <model>', 'mlp, cnn, FILE.onnx, or FILE.safetensors with --arch (required)')
    .option('--arch <arch>', 'architecture of a .safetensors model: mnist-mlp or mnist-cnn')
    .option('--input <input>', 'FILE.npy, PNG/JPEG files, or mnist:test:0-15 (see below; required)')
    .option('--method <name>', 'attribution method (list below)', 'ig')
    .option('--target <target>', 'class to explain: an index, auto (= predicted: the model\'s argmax) or label (MNIST inputs)', 'auto')
    .option('--steps <n>', 'path steps (methods with a steps option)')
    .addOption(new Option('--quadrature <rule>', 'quadrature rule (IG-type methods)').choices([...QUADRATURE_METHODS]))
    .option('--baseline <b>', 'zeros, a number, blur, blur:SIGMA, mean or FILE.npy')
    .option('--batch-size <n>', 'at most this many path points per forward/backward pass')
    .option('--dtype <dtype>', 'float32 or float64', 'float32')
    .option('-o, --option <key=value>', 'any method option, repeatable (e.g. -o samples=16 -o noiseLevel=0.2)', collect, [])
    .option('--seed <n>', 'seed of random baselines and noise', '0')
    .option('--out <file>', 'output: .npy (attributions), .json (attributions, delta, target, settings, timing) or .png (heatmaps); with --shard, the parts folder')
    .option('--shard <i/n|auto>', 'compute only shard i of n (contiguous blocks) and write a part into the --out folder; auto or auto/N takes i (and n) from a Slurm array or Kubernetes Indexed Job')
    .option('--block-size <n>', `examples per block: inputs are explained block by block, block k's random draws seeded with seed + k (default ${DEFAULT_BLOCK_SIZE})`)
    .addHelpText('after', `\n${INPUT_HELP}\n\nMethods and their options (-o key=value):\n${describeMethods()}`)
    .action((opts: AttributeArgs) => attributeCommand(opts, log));
  attribute
    .command('merge')
    .description('merge the parts of `pathgrad attribute --shard` (a folder, or part-*.json files) into one .npy/.json, byte-identical to a one-pass run')
    .argument('<parts...>', 'parts folder or part manifests')
    // --out is attribute's own option (commander gives options after the subcommand to the parent)
    .usage('<parts...> --out attributions.npy')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') })
    .action((parts: string[]) => attributeMergeCommand(parts, (attribute.opts() as AttributeArgs).out, log));

  program
    .command('slurm')
    .description('write (and with --submit, submit) a Slurm job array running `attribute` or `igc` as shards, plus a merge job that runs after it')
    .usage('[options] -- attribute|igc [its options, without --shard/--out]')
    .argument('<command...>', 'the pathgrad command to spread over the array, after --')
    .option('--tasks <n>', 'array tasks (shards)', '4')
    .option('--out <folder>', 'job folder: scripts, logs/, parts/ and the merged result', 'pathgrad-slurm')
    .option('--cpus <n>', 'CPUs per task (#SBATCH --cpus-per-task)', '2')
    .option('--mem <size>', 'memory per task (#SBATCH --mem), e.g. 4G')
    .option('--time <limit>', 'time limit per task (#SBATCH --time)', '01:00:00')
    .option('--merge-time <limit>', 'time limit of the merge job', '00:15:00')
    .option('--partition <name>', '#SBATCH --partition')
    .option('--account <name>', '#SBATCH --account')
    .option('--job-name <name>', 'job name (default pathgrad-<command>)')
    .option('--pathgrad <command>', 'how the compute nodes start pathgrad (default: exactly as this process was started, absolute paths)')
    .option('--submit', 'submit both jobs with sbatch and print "ARRAY_ID MERGE_ID" on stdout')
    .action((command: string[], opts: SlurmArgs) => slurmCommand(command, opts, log, (line) => process.stdout.write(`${line}\n`)));

  program
    .command('train')
    .description('train a zoo architecture on MNIST and save it as safetensors (how the shipped weights are made)')
    .requiredOption('--arch <arch>', 'mnist-mlp or mnist-cnn')
    .requiredOption('--out <file>', 'output .safetensors file')
    .option('--epochs <n>', 'passes over the training set', '2')
    .option('--batch-size <n>', 'mini-batch size', '64')
    .option('--lr <lr>', 'Adam learning rate', '0.001')
    .option('--limit <n>', 'use only the first n training images')
    .option('--seed <n>', 'seed of the init and the shuffling', '0')
    .action((opts: TrainArgs) => trainCommand(opts, log));

  program
    .command('evaluate')
    .description('compare attribution methods with faithfulness metrics; prints and writes the table (CSV and JSON)')
    .requiredOption('--model <model>', 'mlp, cnn, FILE.onnx, or FILE.safetensors with --arch')
    .option('--arch <arch>', 'architecture of a .safetensors model: mnist-mlp or mnist-cnn')
    .requiredOption('--input <input>', 'FILE.npy, PNG/JPEG files, or mnist:test:0-15')
    .option('--methods <list>', 'comma-separated methods', 'saliency,input-x-gradient,ig')
    .option('--metrics <list>', 'comma-separated: deletion, insertion, infidelity, sensitivity, sic, aic', 'deletion,insertion')
    .option('--target <target>', 'index, auto (predicted) or label', 'auto')
    .option('--seed <n>', 'seed', '0')
    .option('--out <file>', 'table file stem: writes FILE.csv and FILE.json', 'pathgrad-metrics')
    .option('--backend <name>', 'tensor backend: auto (fastest here), wasm, cpu or gpujs', 'auto')
    .option('--pixels-per-step <n>', 'pixels deleted/inserted per model call in the deletion and insertion curves (must divide the pixel count; 28 = a row of a 28x28 digit, 1 = pixel by pixel, slow)', '28')
    .addHelpText('after', `\n${INPUT_HELP}`)
    .action((opts: EvaluateArgs) => evaluateCommand(opts, log));

  program
    .command('bench')
    .description('run the performance benchmarks (benchmarks/perf/run.ts); extra arguments are passed on')
    .allowUnknownOption(true)
    .argument('[args...]', 'arguments for the benchmark script')
    .action((args: string[]) => setExit(benchCommand(args)));

  program
    .command('reproduce')
    .description('reproduce a paper\'s results (benchmarks/papers/<paper>.ts) into docs/reproductions; --check compares a re-run with the committed numbers')
    .argument('<paper>', `paper name${listPapers().length ? ` (${listPapers().join(', ')}, or all)` : ''}`)
    .argument('[args...]', '--quick, --seed N, --seeds N, --out DIR, --check [--tolerance T]')
    .allowUnknownOption(true)
    .action((paper: string, args: string[]) => setExit(reproduceCommand(paper, args)));

  registerIgcCommand(program, log);

  // the budgets of what --model and --input may cost, on every command that loads them (igc adds its own)
  for (const c of program.commands) {
    if (['demo', 'attribute', 'evaluate'].includes(c.name())) addModelLimitOptions(c);
    if (['attribute', 'evaluate'].includes(c.name())) addInputLimitOptions(c);
  }

  for (const c of program.commands) {
    // read in main() (setForceOutput); declared here so --help shows it and parsing accepts it
    if (c.options.some((o) => o.long === '--out')) c.option('--force', 'replace an existing --out file (refused otherwise; report folders follow their own rule)');
  }
  for (const c of program.commands) c.exitOverride().configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });
  return program;
}

/**
 * Runs the command line on `argv` (without node and script) and returns the exit code.
 * @example
 * ```ts
 * process.exitCode = await main(['attribute', '--help']);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  setQuiet(argv.includes('--quiet'));
  // `pathgrad --help | head`: a reader that stops early is not an error
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  setForceOutput(argv.includes('--force'));
  let code = 0;
  const log = (line: string): void => {
    if (!isQuiet()) process.stderr.write(`${line}\n`);
  };
  const program = buildProgram(log, (c) => {
    code = c;
  });
  try {
    // --verbose may come anywhere (before or after the command name)
    await program.parseAsync(argv.filter((a) => a !== '--verbose' && a !== '--quiet'), { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version print and exit 0; every other commander error is bad input (already printed)
      return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    const bad = isBadInput(err);
    process.stderr.write(`pathgrad: ${bad ? '' : 'internal error: '}${oneLine(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return bad ? EXIT_BAD_INPUT : EXIT_FAILURE;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
