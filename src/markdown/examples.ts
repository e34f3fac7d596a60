/**
 * From a page's fenced code blocks to runnable examples: a block marked
 * `sandbox` starts one, the blocks right after it with `file=` join it (one
 * multi-file example), and a block marked `output` right after them is its
 * expected output. Parser-agnostic: each plugin says which blocks are adjacent.
 */
import { defaultFileName, infoProblems, parseInfo, type FenceInfo } from './info-string.js';

/** A fenced code block as a parser sees it. */
export interface Fence {
  /** The info string (```` ```js sandbox file=index.js ```` gives `js sandbox file=index.js`). */
  info: string;
  /** The code, without the fence lines. */
  code: string;
}

/** One file of an example: its path and the block it came from. */
export interface ExampleFile<F extends Fence> {
  path: string;
  fence: F;
}

/** A runnable example found among the fences. */
export interface Example<F extends Fence> {
  /** The block marked `sandbox` that starts the example (where its problems are reported). */
  start: F;
  files: Array<ExampleFile<F>>;
  /** The block marked `output` right after the files: the expected output. */
  output: F | undefined;
  /** `<code-sandbox>` attributes from the blocks' info strings (the first block's win). */
  attributes: Record<string, string>;
  /** Marked `skip`: shown and runnable on the page, left out of `code-sandbox check`. */
  skip: boolean;
  /** What is wrong with the blocks' info strings, each saying what to write instead. */
  problems: string[];
}

/**
 * Groups `fences` (in page order) into examples. `adjacent(a, b)` says that `b`
 * directly follows `a` with nothing between them (blank lines aside).
 */
export function findExamples<F extends Fence>(fences: readonly F[], adjacent: (a: F, b: F) => boolean): Array<Example<F>> {
  const infos = fences.map((fence) => parseInfo(fence.info));
  const examples: Array<Example<F>> = [];
  for (let i = 0; i < fences.length; i++) {
    const info = infos[i]!;
    if (!info.flags.has('sandbox') || info.flags.has('output')) continue;
    const example: Example<F> = { start: fences[i]!, files: [], output: undefined, attributes: {}, skip: false, problems: [] };
    const add = (fence: F, blockInfo: FenceInfo): void => {
      const path = blockInfo.file ?? defaultFileName(blockInfo.lang);
      if (path === undefined) {
        example.problems.push(`A \`sandbox\` block in "${blockInfo.lang || 'no language'}" needs a file name: add file=NAME to its info string, e.g. \`${blockInfo.lang || 'txt'} sandbox file=index.js\`.`);
      } else {
        example.files.push({ path, fence });
      }
      example.attributes = { ...blockInfo.attributes, ...example.attributes };
      if (blockInfo.flags.has('skip')) example.skip = true;
    };
    add(fences[i]!, info);
    // Only a block with file= starts a multi-file example; the next blocks with file= join it.
    while (info.file !== undefined && i + 1 < fences.length && infos[i + 1]!.file !== undefined && !infos[i + 1]!.flags.has('output') && adjacent(fences[i]!, fences[i + 1]!)) {
      i++;
      add(fences[i]!, infos[i]!);
    }
    if (i + 1 < fences.length && infos[i + 1]!.flags.has('output') && adjacent(fences[i]!, fences[i + 1]!)) {
      i++;
      example.output = fences[i];
    }
    example.problems.push(...infoProblems(example.attributes));
    const paths = example.files.map((file) => file.path);
    for (const duplicate of new Set(paths.filter((path, n) => paths.indexOf(path) !== n))) {
      example.problems.push(`Two blocks of one example are file=${duplicate}; give each block its own file name.`);
    }
    examples.push(example);
  }
  return examples;
}
