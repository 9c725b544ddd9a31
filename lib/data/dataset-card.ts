/** The README.md written with every export: what is in the files, how labels were made, how to train. */
import type { ExportCounts, ExportOptions } from './export';
import type { ValidationReport } from './export-validation';

export type CardInput = {
  projectName: string;
  exportedAt: string;
  judgments: number;
  annotators: number;
  agreement: { alphaChoice: number | null } | null;
  options: ExportOptions;
  counts: ExportCounts;
  validation: ValidationReport;
  files: string[];
};

const AGGREGATION_TEXT = {
  majority: 'majority vote per response pair (a tie wins when it has at least as many votes as either side)',
  'strength-weighted': 'votes weighted by their preference strength (1–3; ties weigh 1)',
  'dawid-skene': "votes weighted by each annotator's Dawid–Skene log-odds weight (annotators estimated as no better than chance weigh 0)",
  'bt-consensus': 'Bradley–Terry consensus: per prompt, a BT fit over every vote among its responses (weak L2 prior) decides each pair unless ties are the majority',
} as const;

export function datasetCard(c: CardInput): string {
  const o = c.options;
  const n = c.counts;
  const margin = o.margin === 'off' ? 'not written (off by default; Llama 3.1 dropped the margin term)' : o.margin === 'abs' ? '`margin = strength` (1–3)' : '`margin = {1: 0.33, 2: 0.67, 3: 1.0}[strength]` (Llama 2 "small" margins)';
  return `# ${c.projectName} — preference data

Exported ${c.exportedAt} by Arbiter from ${c.judgments} judgments by ${c.annotators} annotators${c.agreement?.alphaChoice != null ? ` (Krippendorff's α on the choice: ${c.agreement.alphaChoice.toFixed(3)})` : ''}.

## Files

${c.files.map((f) => `- \`${f}\``).join('\n')}

| split | pairs |
| --- | --- |
| train | ${n.train} |
| test | ${n.test} |

## Label semantics

- Each row of \`train.jsonl\` / \`test.jsonl\` is one aggregated decision: \`prompt\` (the conversation up to and including the last user turn), \`chosen\` and \`rejected\` (one assistant message each).
- Aggregation: ${AGGREGATION_TEXT[o.aggregation]}. \`agreement\` is the (weighted) share of votes that agree with the row; ${o.minAgreement > 0 ? `rows below ${o.minAgreement} were dropped (${n.lowAgreementDropped})` : 'no row was dropped for low agreement'}.
- Ties: ${o.ties === 'drop' ? `dropped from the pair files (${n.tiesDropped}); both-good ties are desirable and both-bad ties undesirable in \`unpaired/\`` : 'both-good ties written in both orders with `margin: 0` and `tie: true` — for reward-model training only, not for DPO; both-bad ties dropped from pair files and undesirable in `unpaired/`'}.
- Rankings: ${o.rankingPairs === 'all' ? 'every pair of a ranking (K(K−1)/2), sharing a `group_id` — the pairs are not independent' : 'best-vs-each plus adjacent pairs (2K−3 per ranking), sharing a `group_id`'}.
- Margin: ${margin}${n.fromRatings > 0 ? '; pairs made from attribute ratings carry margin = rating difference / 4' : ''}.
- \`strength\` is the mean annotated strength (1 slightly, 2 clearly, 3 much better) of the agreeing votes.
- Split: by prompt (a prompt's pairs are all in one split), ${Math.round(o.testShare * 100)}% of prompts to test, seed ${o.seed}.
- \`csv/train.csv\` / \`csv/test.csv\` (format csv) hold the same pairs for spreadsheets: the conversation as "role: content" lines, the two replies as text. Any text a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) begins with an apostrophe.
- Pairs with identical chosen and rejected text were dropped (${n.sameTextDropped}).${n.textless ? `\n- ${n.textless} pairs without response texts (imported battles or rankings that name systems only) count for leaderboards but are not in these files.` : ''}

## Pre-flight validation

${c.validation.ok ? 'All rows passed: keys present, non-empty, prompt ends with a user turn, chosen ≠ rejected, margins ≥ 0.' : `**${c.validation.errorCount} problems:**\n\n${c.validation.errors.slice(0, 20).map((e) => `- ${e}`).join('\n')}`}
${c.validation.warnings.length ? `\nWarnings:\n\n${c.validation.warnings.map((w) => `- ${w}`).join('\n')}\n` : ''}
Token lengths are estimated at ~4 characters per token.

## Train with TRL

\`\`\`python
from datasets import load_dataset
from trl import DPOConfig, DPOTrainer, RewardConfig, RewardTrainer

data = load_dataset("json", data_files={"train": "train.jsonl"${n.test ? ', "test": "test.jsonl"' : ''}})
# DPO (explicit prompt, conversational): extra keys such as margin, id, agreement are ignored
DPOTrainer(model=model, args=DPOConfig(output_dir="dpo"), train_dataset=data["train"], processing_class=tokenizer).train()
# Reward model${o.margin !== 'off' ? ' (uses `margin`: loss = −log σ(r⁺ − r⁻ − margin))' : ''}
RewardTrainer(model=reward_model, args=RewardConfig(output_dir="rm", max_length=1024), train_dataset=data["train"], processing_class=tokenizer).train()
# KTO: unpaired/train.jsonl (prompt, completion, label)${c.validation.kto.suggestion ? `; set ${c.validation.kto.suggestion} in KTOConfig` : ''}
\`\`\`

## Train with OpenRLHF

\`\`\`bash
# v0.10+
deepspeed --module openrlhf.cli.train_rm --data.dataset ./train.jsonl --data.prompt_key prompt --data.chosen_key chosen --data.rejected_key rejected --data.apply_chat_template${o.margin !== 'off' ? ' --model.margin_loss_enable' : ''}
deepspeed --module openrlhf.cli.train_dpo --data.dataset ./train.jsonl --data.prompt_key prompt --data.chosen_key chosen --data.rejected_key rejected --data.apply_chat_template
# v0.9
deepspeed --module openrlhf.cli.train_rm --dataset ./train.jsonl --prompt_key prompt --chosen_key chosen --rejected_key rejected --apply_chat_template${o.margin !== 'off' ? ' --margin_loss' : ''}
\`\`\`

OpenRLHF's \`--data.max_len\` defaults to 512 tokens; TRL's reward \`max_length\` to 1024 (longer pairs are filtered without a message).

## LLaMA-Factory

Copy \`llamafactory/\` into LLaMA-Factory's \`data/\` folder and merge \`dataset_info.json\` into its own; then \`dataset: arbiter_preferences\` with \`stage: dpo\` or \`stage: rm\`.
`;
}
