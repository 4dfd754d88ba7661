// headlight-cli: the engine's work, headless. Commands live in command_*.cpp.
#include "cli_args.h"
#include "commands.h"
#include "headlight/error.h"
#include "headlight/runtime.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>

namespace {

const char* kUsage =
    "usage: headlight-cli COMMAND ...\n"
    "  run MODEL_DIR (--text TEXT | --ids 1,2,3) [--prune L.H,...] [--device cpu|cuda]\n"
    "      [--dtype float32|bfloat16|float16] [--out FILE.h5] [--layers 0,1] [--heads 0,2]\n"
    "      [--budget K0,K1,...] [--no-capture] [--no-logits]\n"
    "                      run text through the model, print a JSON summary, write an HDF5 trace;\n"
    "                      --dtype: matrices in bfloat16 or float16 (docs/model-format.md, Precision)\n"
    "      encoder-decoder models (Marian, BART, T5): --text or --ids is the source, and [--target TEXT |\n"
    "      --decoder-ids 1,2,3 | --translate [--max-new-tokens 64]] the decoder's input (the decoder start\n"
    "      token, then --target's tokens, or the model's own greedy translation)\n"
    "  info MODEL_DIR [--device cpu|cuda] [--dtype D]\n"
    "                      print a JSON description of the model\n"
    "  init --config CONFIG.json --seed N --out DIR [--alphabet CHARS]\n"
    "                      write a randomly initialised model folder\n"
    "  train --config TRAIN.json --out DIR [--resume] [--device cpu|cuda]\n"
    "                      train a model on a task (docs/training.md); Ctrl-C stops at a checkpoint\n"
    "  fit MODEL_DIR --mechanism head_gates|adaptive_span|selective_attention [--task NAME|JSON |\n"
    "      --text-file FILE [--context 128]] --out DIR [--lambda X | --lambda-sweep X,Y,...] [--steps N]\n"
    "      [--batch-size 8] [--learning-rate X] [--seed S] [--device D] [--dtype D] [--train-all\n"
    "      [--weight-learning-rate 1e-4]] [--resume]\n"
    "                      add a mechanism to a copy of a trained model and learn it with the weights\n"
    "                      frozen (docs/fitting.md); default data: the task it was trained on;\n"
    "                      --lambda-sweep: one fit per lambda, sweep.csv/h5/png\n"
    "  evaluate MODEL_DIR [--task NAME|JSON | --text T [--target T] | --data FILE] [--n 1000] [--seed S]\n"
    "      [--device cpu|cuda] [--dtype D]\n"
    "                      accuracy and loss on fresh examples (default: the task it was trained on)\n"
    "  context-prune MODEL_DIR [--task NAME|JSON | --text TEXT] [--n 200] [--tolerance 0.005]\n"
    "                      greedy per-layer memory budgets for a selective-attention model\n"
    "  examples --task NAME|JSON [--n 5] [--seed 1]\n"
    "                      print examples of a task, one per line\n"
    "  importance MODEL_DIR (--text T | --data FILE | --task NAME|JSON) [--n 200] [--seed S]\n"
    "      [--normalize-by-layer] [--prune L.H,...] [--device D] [--dtype D] --out FILE.h5 [--csv FILE.csv]\n"
    "      [--figure FILE.png|svg|pdf [--width PT] [--height PT] [--dpi N]]\n"
    "                      head importance |dLoss/dmask| (Michel et al. 2019), docs/pruning.md;\n"
    "                      --figure draws it as a layers x heads heatmap\n"
    "  ablate MODEL_DIR (same data and figure options) --out FILE.h5 [--csv FILE.csv]\n"
    "                      the loss change when each head alone is masked\n"
    "  prune-curve MODEL_DIR (same data and figure options) --order ORDER[,ORDER...]\n"
    "      [--step-percent 10] [--no-normalize] --out FILE.h5 [--csv FILE.csv]\n"
    "                      loss and accuracy as heads are pruned step by step; ORDER: importance,\n"
    "                      importance-once, gate, ablation, random (several: one curve each)\n"
    "      encoder-decoder models: --text SOURCE --target TARGET, or --data with SOURCE<tab>TARGET lines;\n"
    "      heads are rows of encoder, decoder and cross-attention layers, --prune X0.1 by kind (docs/pruning.md)\n"
    "  figure MODEL_DIR --text TEXT --view VIEW --out FILE.png|svg|pdf [--layer L] [--head H]\n"
    "      [--position I] [--prune L.H,...] [--budget K0,...] [--size single|double] [--width PT] [--height PT]\n"
    "      [--dpi N] [--screen-style]   size: a journal column, single (3.3 in, the default) or double (6.9 in)\n"
    "                      render a view of the app headless; VIEW: overview, grid, attention, lines,\n"
    "                      gates, spans, selective, memory, predictions, whatif, lens, attribution\n"
    "                      (no --layer/--head/--position: the head and position view.json names);\n"
    "                      encoder-decoder models: --text is the source, --target or --decoder-ids the\n"
    "                      decoder's input, --layer a row of encoder, decoder, then cross-attention layers,\n"
    "                      --prune by row or by kind (E1.0, D0.2, X0.1)\n"
    "  roles MODEL_DIR (--text T | --ids I,J,... | --data FILE | --repeated-random N [--seed S])\n"
    "      [--frequencies FILE.json] [--threshold 0.4] [--device D] [--dtype D]\n"
    "                      every head's role scores (previous/next token, positional, first token,\n"
    "                      duplicate token, induction, rare token) and its label, JSON (docs/head-roles.md)\n"
    "  lens MODEL_DIR (--text T | --ids I,J,...) --out FILE.h5 [--top 5] [--prune L.H,...] [--no-rollout]\n"
    "                      the logit lens after the embeddings and every layer, and attention rollout\n"
    "  attribute MODEL_DIR (--text T | --ids I,J,...) --position I [--target ID] [--prune L.H,...]\n"
    "                      direct logit attribution: the logit split into embeddings, heads, MLPs, biases\n"
    "  run, figure, evaluate, context-prune, importance, ablate, prune-curve also take\n"
    "      --selective [--selector-head H]\n"
    "                      zero-shot selective attention (Leviathan et al. 2024) on a causal model trained\n"
    "                      without it: head H (default 0) of every layer selects (docs/model-format.md)\n"
    "  tokenize DIR (--text TEXT | --jsonl FILE) [--no-special] [--target]\n"
    "                      a folder's tokenizer (tokenizer.json, vocab.json + merges.txt, Marian's .spm\n"
    "                      files, vocab.txt, spiece.model or vocab.json) on a text, or on {\"text\": ...}\n"
    "                      lines; prints {\"ids\", \"tokens\", \"decoded\"} per text (docs/tokenizers.md);\n"
    "                      --target: a translation model's target side\n"
    "  --version, --help\n";

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(kUsage, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::printf("headlight-cli %s\n", HEADLIGHT_VERSION);
        return 0;
    }
    const std::map<std::string, std::function<int(const std::vector<std::string>&)>> commands = {
        {"run", headlight::cli::runCommand},
        {"info", headlight::cli::infoCommand},
        {"init", headlight::cli::initCommand},
        {"train", headlight::cli::trainCommand},
        {"fit", headlight::cli::fitCommand},
        {"evaluate", headlight::cli::evaluateCommand},
        {"context-prune", headlight::cli::contextPruneCommand},
#ifdef HEADLIGHT_HAS_FIGURE
        {"figure", headlight::cli::figureCommand},
#endif
        {"importance", headlight::cli::importanceCommand},
        {"ablate", headlight::cli::ablateCommand},
        {"prune-curve", headlight::cli::pruneCurveCommand},
        {"examples", headlight::cli::examplesCommand},
        {"tokenize", headlight::cli::tokenizeCommand},
        {"roles", headlight::cli::rolesCommand},
        {"lens", headlight::cli::lensCommand},
        {"attribute", headlight::cli::attributeCommand}};
    auto it = commands.find(args[0]);
    if (it == commands.end()) {
        std::fprintf(stderr, "headlight-cli: unknown command \"%s\"\n%s", headlight::printableText(args[0], 60).c_str(), kUsage);
        return 2;
    }
    headlight::tuneAllocatorForRepeatedRuns();
    const char* command = it->first.c_str();
    int code = 1;
    try {
        code = it->second(std::vector<std::string>(args.begin() + 1, args.end()));
    } catch (const headlight::cli::UsageError& e) {
        std::fprintf(stderr, "headlight-cli %s: %s (see headlight-cli --help)\n", command, headlight::printableText(e.message).c_str());
        return 2;
    } catch (const headlight::Error& e) {
        std::fprintf(stderr, "headlight-cli %s: error: %s\n", command, e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "headlight-cli %s: error: out of memory (try smaller inputs or sizes)\n", command);
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "headlight-cli %s: error: %s\n", command, headlight::cli::unexpectedErrorText(e).c_str());
        return 1;
    }
    // Output that never arrived (a full disk behind `> file`, a closed stdout) is a failure, not exit 0.
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        std::fprintf(stderr, "headlight-cli %s: error: stdout: cannot write (%s)\n", command, std::strerror(errno));
        return 1;
    }
    return code;
}
