/**
 * How a conversation and a response become token ids for a model: with the model's own chat template
 * (`chat_template` in tokenizer_config.json, rendered by @huggingface/jinja, Hugging Face's JavaScript
 * Jinja for exactly these templates), or Arbiter's plain format for models that have none (policies
 * trained here from scratch, base models): lib/ml/align/chat.ts.
 *
 * Split as TRL's DPOTrainer splits it (trl/trainer/dpo_trainer.py, maybe_apply_chat_template and
 * tokenize_row): the prompt is the template rendered with `add_generation_prompt`, the completion is what
 * the full conversation, the response added as the assistant's turn, renders after that prompt — the
 * response and the template's end of turn (`<|im_end|>`, `<|eot_id|>`, `</s>`). Prompt and completion are
 * tokenized apart, and the completion mask covers the completion's tokens only.
 *
 * Message contents are content (hf-tokenizer.ts): a special token typed into a prompt or a response stays
 * text. The template is rendered with a marker in place of each content to find where contents sit, and
 * the real rendering is checked against it, so a template that rewrites content (beyond trimming it) is
 * refused rather than guessed.
 */
import { Template } from '@huggingface/jinja';
import { renderCompletion, renderPrompt, type ChatMessage } from '../align/chat';
import { tokenContent, type HfTokenizer, type TextSection, type TextTokenizer } from './hf-tokenizer';

export type ChatFormat = {
  /** 'template': the checkpoint's chat template; 'plain': Arbiter's "User: … Assistant:" text. */
  kind: 'template' | 'plain';
  /** The prompt's ids, ending where the assistant's reply begins. */
  promptIds(messages: readonly ChatMessage[]): number[];
  /** The response as the assistant's turn: its ids and the end of turn (the end-of-sequence token in the plain format). */
  completionIds(messages: readonly ChatMessage[], response: string): number[];
  /** Ids that end a reply when generating (end of turn, end of sequence). */
  stopIds: number[];
};

/** Private-use characters around a message's index: no template writes them, and no tokenizer merges them with their neighbours' text before the check below. */
const MARK_OPEN = '\u{F0000}';
const MARK_CLOSE = '\u{F0001}';
const MARKS = new RegExp(`${MARK_OPEN}(\\d+)${MARK_CLOSE}`, 'gu');

/** tokenizer_config.json's chat_template: a string, or a list of named templates of which "default" is used. */
export function chatTemplateOf(config: Record<string, unknown>): string | undefined {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

export function plainChatFormat(tokenizer: TextTokenizer, prefixIds: readonly number[] = []): ChatFormat {
  return {
    kind: 'plain',
    promptIds: (messages) => [...prefixIds, ...tokenizer.encode(renderPrompt(messages))],
    completionIds: (_messages, response) => [...tokenizer.encode(renderCompletion(response)), tokenizer.eosId],
    stopIds: [tokenizer.eosId],
  };
}

export function templateChatFormat(tokenizer: HfTokenizer, source: string, config: Record<string, unknown>, extraStopIds: readonly number[] = []): ChatFormat {
  let template: Template;
  try {
    template = new Template(source);
  } catch (error) {
    throw new Error(`tokenizer_config.json: the chat template does not parse (${(error as Error).message})`);
  }
  const specials = { bos_token: tokenContent(config.bos_token) ?? '', eos_token: tokenContent(config.eos_token) ?? '', pad_token: tokenContent(config.pad_token) ?? '', unk_token: tokenContent(config.unk_token) ?? '' };
  const render = (messages: readonly ChatMessage[], addGenerationPrompt: boolean): string => {
    try {
      return template.render({ messages: messages.map((m) => ({ role: m.role, content: m.content })), add_generation_prompt: addGenerationPrompt, ...specials });
    } catch (error) {
      throw new Error(`the chat template failed on this conversation: ${(error as Error).message}`);
    }
  };
  /** The rendering as sections, contents marked as content; checked against the rendering of the real text. */
  const sections = (messages: readonly ChatMessage[], addGenerationPrompt: boolean): TextSection[] => {
    const real = render(messages, addGenerationPrompt);
    const marked = render(messages.map((m, i) => ({ role: m.role, content: `${MARK_OPEN}${i}${MARK_CLOSE}` })), addGenerationPrompt);
    for (const trim of [false, true]) {
      const out: TextSection[] = [];
      let last = 0;
      for (const match of marked.matchAll(MARKS)) {
        out.push({ text: marked.slice(last, match.index), content: false });
        const content = messages[Number(match[1])]!.content;
        out.push({ text: trim ? content.trim() : content, content: true });
        last = match.index + match[0].length;
      }
      out.push({ text: marked.slice(last), content: false });
      if (out.map((s) => s.text).join('') === real) return out.filter((s) => s.text.length > 0);
    }
    throw new Error('the chat template rewrites message content (beyond trimming it), so its special tokens cannot be told from the content');
  };
  const stopIds = [...new Set([tokenizer.eosId, ...extraStopIds])];
  return {
    kind: 'template',
    promptIds: (messages) => tokenizer.encodeSections(sections(messages, true)),
    completionIds: (messages, response) => {
      const prompt = sections(messages, true);
      const full = sections([...messages, { role: 'assistant', content: response }], false);
      const promptText = prompt.map((s) => s.text).join('');
      // The completion is what follows the prompt in the full rendering: cut the full sections at the prompt's length.
      let skip = promptText.length;
      if (full.map((s) => s.text).join('').slice(0, skip) !== promptText) throw new Error('the chat template renders the conversation differently once the reply is added, so the prompt is not a prefix of it');
      const rest: TextSection[] = [];
      for (const s of full) {
        if (skip >= s.text.length) {
          skip -= s.text.length;
          continue;
        }
        rest.push({ text: s.text.slice(skip), content: s.content });
        skip = 0;
      }
      return tokenizer.encodeSections(rest);
    },
    stopIds,
  };
}
