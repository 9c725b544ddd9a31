/**
 * Writes the e2e server's one local checkpoint before it starts (playwright.config.ts webServer): a tiny
 * random Llama with a byte-level tokenizer (every text encodes) and Llama 3's chat template, in Hugging
 * Face's layout, under the directory given (ARBITER_CHECKPOINTS_DIR). Weights cannot be downloaded here.
 */
import path from 'node:path';
import { writeTinyLlama } from '../helpers/tiny-llama';
import { byteLevelTokenizer, LLAMA3_TEMPLATE } from '../helpers/tiny-tokenizers';

const root = process.argv[2];
if (!root) throw new Error('usage: tiny-checkpoint.ts <checkpoints dir>');
const tokenizer = byteLevelTokenizer([]);
writeTinyLlama(path.join(root, 'tiny-llama'), {
  modelType: 'llama', vocab: 264, d: 16, layers: 1, heads: 2, kvHeads: 1, intermediate: 24, positions: 256, tied: false, scale: 0.3,
  tokenizerJson: tokenizer.json,
  tokenizerConfig: { chat_template: LLAMA3_TEMPLATE, bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' },
});
