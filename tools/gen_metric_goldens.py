#!/usr/bin/env python3
"""Generates tests/fixtures/metrics/: small real gold slices, many prediction sets, and the
outputs of the OFFICIAL scoring code on each (google-research/xtreme evaluate.py with its
third_party/evaluate_squad.py and evaluate_mlqa.py, facebookresearch/MLQA mlqa_evaluation_v1.py,
the SQuAD v2.0 evaluate-v2.0.py, seqeval from the venv), plus CPython's Unicode tables that
xstilts' SQuAD/MLQA normalisation re-implements.

The official scripts are read at generation time from fetched mirrors (bare git dirs) or plain
directories, and are NOT committed; only their outputs are.

usage: tools/.venv/bin/python tools/gen_metric_goldens.py \
    --xtreme <google-research/xtreme checkout or bare git dir> \
    --mlqa <facebookresearch/MLQA checkout or git dir> \
    --squad2 <a checkout or git dir holding evaluate-v2.0.py> \
    [--data <real-data folder, default $XSTILTS_DATA or data/>] --out tests/fixtures/metrics
"""
import argparse
import importlib.util
import io
import json
import os
import random
import re
import string
import subprocess
import sys
import tempfile
import unicodedata
import contextlib

import seqeval
from seqeval.metrics import accuracy_score
from seqeval.metrics.sequence_labeling import get_entities


def read_src(src, path):
    """A file from a plain directory, or from HEAD of a (bare) git dir."""
    p = os.path.join(src, path)
    if os.path.isfile(p):
        return open(p, encoding='utf-8').read()
    return subprocess.run(['git', '--git-dir', src, 'show', 'HEAD:' + path], check=True,
                          capture_output=True, text=True).stdout


def git_head(src):
    try:
        return subprocess.run(['git', '--git-dir', src, 'rev-parse', 'HEAD'], check=True,
                              capture_output=True, text=True).stdout.strip()
    except Exception:
        return 'directory'


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------- setup of the official code

def setup_official(args, tmp):
    xt = os.path.join(tmp, 'xtreme')
    os.makedirs(os.path.join(xt, 'third_party'))
    for f in ['evaluate.py', 'third_party/__init__.py', 'third_party/evaluate_squad.py',
              'third_party/evaluate_mlqa.py', 'third_party/utils_mewslix.py']:
        open(os.path.join(xt, f), 'w', encoding='utf-8').write(read_src(args.xtreme, f))
    sys.path.insert(0, xt)
    xteval = load_module('xtreme_evaluate', os.path.join(xt, 'evaluate.py'))
    mlqa_path = os.path.join(tmp, 'mlqa_evaluation_v1.py')
    open(mlqa_path, 'w', encoding='utf-8').write(read_src(args.mlqa, 'mlqa_evaluation_v1.py'))
    mlqa = load_module('mlqa_official', mlqa_path)
    v2_path = os.path.join(tmp, 'evaluate-v2.0.py')
    src = read_src(args.squad2, 'evaluate-v2.0.py')
    assert 'Official evaluation script for SQuAD version 2.0' in src
    open(v2_path, 'w', encoding='utf-8').write(src)
    return xteval, mlqa, v2_path


# ---------------------------------------------------------------- helpers

OUT = None
CASES = []


def wpath(rel):
    p = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write_text(rel, text):
    with open(wpath(rel), 'w', encoding='utf-8', newline='') as f:
        f.write(text)


def write_json(rel, obj):
    with open(wpath(rel), 'w', encoding='utf-8') as f:
        json.dump(obj, f, ensure_ascii=False)


def add_case(task, lang, pred, gold, expected, args=(), note=''):
    CASES.append({'task': task, 'lang': lang, 'pred': pred, 'gold': gold, 'args': list(args),
                  'expected': expected, 'note': note})


def quiet(fn, *a, **k):
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        return fn(*a, **k)


# ---------------------------------------------------------------- QA

def squad_slice(path, max_q, version=None):
    d = json.load(open(path, encoding='utf-8'))
    out, n = [], 0
    for art in d['data']:
        pars = []
        for p in art['paragraphs']:
            if n >= max_q:
                break
            pars.append(p)
            n += len(p['qas'])
        if pars:
            out.append({'title': art.get('title', ''), 'paragraphs': pars})
        if n >= max_q:
            break
    return {'version': version or d.get('version', '1.1'), 'data': out}


def qas_of(gold):
    for art in gold['data']:
        for p in art['paragraphs']:
            for qa in p['qas']:
                yield p['context'], qa


def strip_accents(s):
    return unicodedata.normalize('NFC', ''.join(c for c in unicodedata.normalize('NFD', s)
                                                if unicodedata.category(c) != 'Mn'))


PERTURB = {
    'upper': lambda s, ctx, r: s.upper(),
    'title': lambda s, ctx, r: s.title(),
    'spaces': lambda s, ctx, r: '  ' + s.replace(' ', ' \t ') + ' \n',
    'ascii_punct': lambda s, ctx, r: '"' + s + '".',
    'unicode_punct': lambda s, ctx, r: '«' + s + '»、。' + '—',
    'article_en': lambda s, ctx, r: 'The ' + s,
    'article_es': lambda s, ctx, r: 'los ' + s + ' una',
    'article_de': lambda s, ctx, r: 'Der ' + s + ' eines',
    'article_vi': lambda s, ctx, r: 'những ' + s + ' của',
    'arabic_al': lambda s, ctx, r: 'ال' + s.replace(' ', ' ال'),
    'accents': lambda s, ctx, r: strip_accents(s),
    'nfd': lambda s, ctx, r: unicodedata.normalize('NFD', s),
    'drop_first': lambda s, ctx, r: ' '.join(s.split()[1:]) if len(s.split()) > 1 else s[1:],
    'drop_last_char': lambda s, ctx, r: s[:-1],
    'superset': lambda s, ctx, r: (ctx[max(0, ctx.find(s) - 15):ctx.find(s) + len(s) + 20] if s in ctx else s + ' extra'),
    'doubled': lambda s, ctx, r: s + ' ' + s,
    'sigma': lambda s, ctx, r: s.upper() + 'Σ ΟΔΟΣ',
    'turkish_i': lambda s, ctx, r: s.replace('i', 'İ').replace('I', 'İ'),
    'fullwidth': lambda s, ctx, r: unicodedata.normalize('NFKC', s).translate({ord(c): ord(c) + 0xFEE0 for c in string.ascii_letters}),
    'zh_split': lambda s, ctx, r: ' '.join(s),
    'zh_mix': lambda s, ctx, r: s[: len(s) // 2] + 'abc，def' + s[len(s) // 2:],
    'empty': lambda s, ctx, r: '',
    'punct_only': lambda s, ctx, r: '...!?',
    'article_only': lambda s, ctx, r: 'the an a',
    'underscore': lambda s, ctx, r: 'the_' + s + ' _a_',
    'digits': lambda s, ctx, r: s + ' ٣ 3 ³',
}


def qa_pred_sets(gold, lang, rng):
    qas = list(qas_of(gold))
    ids = [qa['id'] for _, qa in qas]
    golds = [qa['answers'][0]['text'] if qa['answers'] else '' for _, qa in qas]
    sets = {}
    sets['perfect'] = dict(zip(ids, golds))
    sets['last_answer'] = {qa['id']: (qa['answers'][-1]['text'] if qa['answers'] else '') for _, qa in qas}
    sets['empty'] = {i: '' for i in ids}
    shuffled = golds[:]
    rng.shuffle(shuffled)
    sets['random'] = dict(zip(ids, shuffled))
    sets['context_window'] = {}
    for (ctx, qa) in qas:
        a = rng.randrange(0, max(1, len(ctx) - 40))
        sets['context_window'][qa['id']] = ctx[a:a + rng.randrange(1, 40)]
    keys = sorted(PERTURB)
    mixed = {}
    for (ctx, qa), g in zip(qas, golds):
        mixed[qa['id']] = PERTURB[rng.choice(keys)](g, ctx, rng)
    sets['mixed_perturbed'] = mixed
    # language-targeted perturbations, each applied to every question
    targeted = {'en': ['upper', 'article_en', 'ascii_punct', 'superset', 'underscore'],
                'de': ['article_de', 'accents', 'title'], 'es': ['article_es', 'accents'],
                'vi': ['article_vi', 'accents', 'nfd'], 'ar': ['arabic_al', 'unicode_punct', 'digits'],
                'zh': ['zh_split', 'zh_mix', 'unicode_punct'], 'el': ['upper', 'sigma', 'accents'],
                'tr': ['turkish_i', 'upper'], 'hi': ['unicode_punct', 'drop_first'],
                'ru': ['upper', 'drop_last_char'], 'fi': ['upper', 'doubled'], 'id': ['spaces', 'fullwidth']}
    for name in targeted.get(lang, []):
        sets[name] = {qa['id']: PERTURB[name](g, ctx, rng) for (ctx, qa), g in zip(qas, golds)}
    return sets


def gen_qa(args, xteval, mlqa, v2_path, rng):
    xq_langs = ['en', 'de', 'zh', 'ar', 'el', 'vi', 'es', 'hi', 'tr']
    for lang in xq_langs:
        gold = squad_slice(os.path.join(args.data, 'xquad', f'xquad.{lang}.json'), 70)
        grel = f'xquad/gold.{lang}.json'
        write_json(grel, gold)
        for name, preds in qa_pred_sets(gold, lang, rng).items():
            prel = f'xquad/pred.{lang}.{name}.json'
            write_json(prel, preds)
            res = quiet(xteval.evaluate_one_task, wpath(prel), wpath(grel), 'xquad', lang)
            add_case('xquad', lang, prel, grel, res)
            # the same predictions scored as SQuAD v1.1 (same script) and, for MLQA languages,
            # with the MLQA script (XQuAD gold stands in for MLQA gold: same format)
            add_case('squad', lang, prel, grel, res)
            if lang in ['en', 'es', 'de', 'ar', 'hi', 'vi', 'zh']:
                r1 = quiet(xteval.evaluate_one_task, wpath(prel), wpath(grel), 'mlqa', lang)
                r2 = quiet(mlqa.evaluate, gold['data'], preds, lang)
                assert r1 == r2, (r1, r2)
                add_case('mlqa', lang, prel, grel, r1)
        # missing predictions: the official script scores them 0 (we need --allow-missing)
        preds = qa_pred_sets(gold, lang, rng)['perfect']
        for k in list(preds)[::3]:
            del preds[k]
        prel = f'xquad/pred.{lang}.missing.json'
        write_json(prel, preds)
        res = quiet(xteval.evaluate_one_task, wpath(prel), wpath(grel), 'xquad', lang)
        add_case('xquad', lang, prel, grel, res, ['--allow-missing'], 'official scores missing as 0')
        if lang in ['en', 'es', 'de', 'ar', 'hi', 'vi', 'zh']:
            res = quiet(xteval.evaluate_one_task, wpath(prel), wpath(grel), 'mlqa', lang)
            add_case('mlqa', lang, prel, grel, res, ['--allow-missing'], 'official scores missing as 0')

    tydi = {'ar': 'arabic', 'en': 'english', 'fi': 'finnish', 'id': 'indonesian', 'ru': 'russian'}
    for lang, name in tydi.items():
        gold = squad_slice(os.path.join(args.data, 'tydiqa-goldp', f'tydiqa-goldp-dev-{name}.json'), 40)
        grel = f'tydiqa/gold.{lang}.json'
        write_json(grel, gold)
        for sname, preds in qa_pred_sets(gold, lang, rng).items():
            prel = f'tydiqa/pred.{lang}.{sname}.json'
            write_json(prel, preds)
            res = quiet(xteval.evaluate_one_task, wpath(prel), wpath(grel), 'tydiqa', lang)
            add_case('tydiqa', lang, prel, grel, res)

    # SQuAD v2.0: no v2 data is vendored here, so the gold is constructed from TyDiQA English
    # dev: a third of the questions made unanswerable (answers [] + is_impossible), plus one
    # answerable question whose only answer normalises to "" (a v2 script corner).
    gold = squad_slice(os.path.join(args.data, 'tydiqa-goldp', 'tydiqa-goldp-dev-english.json'), 120, 'v2.0')
    qas = list(qas_of(gold))
    for i, (_, qa) in enumerate(qas):
        qa['is_impossible'] = i % 3 == 1
        if qa['is_impossible']:
            qa['answers'] = []
    qas[0][1]['answers'] = [{'text': 'The', 'answer_start': 0}]
    grel = 'squad2/gold.json'
    write_json(grel, gold)
    base = qa_pred_sets(gold, 'en', rng)
    sets = {k: base[k] for k in ['perfect', 'empty', 'random', 'mixed_perturbed', 'context_window']}
    half = dict(base['perfect'])
    for i, k in enumerate(half):
        if i % 2 and half[k] == '':
            half[k] = 'something'
    sets['noans_half_wrong'] = half
    ids = [qa['id'] for _, qa in qas]
    na_sets = {
        'uniform': {k: rng.random() for k in ids},
        'ties': {k: rng.choice([0.0, 0.1, 0.5, 0.5, 0.9, 1.0]) for k in ids},
        'informed': {qa['id']: (0.8 + 0.2 * rng.random() if not qa['answers'] else 0.3 * rng.random()) for _, qa in qas},
    }
    na_sets['with_extra_ids'] = dict(na_sets['ties'], **{'not-a-question-1': 0.2, 'not-a-question-2': 0.7})
    for name, obj in na_sets.items():
        write_json(f'squad2/na.{name}.json', obj)
    for sname, preds in sets.items():
        prel = f'squad2/pred.{sname}.json'
        write_json(prel, preds)
        runs = [([], [])] + [([f'--na-prob-file', wpath(f'squad2/na.{n}.json')], ['--na-prob', f'squad2/na.{n}.json'])
                             for n in na_sets]
        runs.append((['--na-prob-file', wpath('squad2/na.informed.json'), '--na-prob-thresh', '0.5'],
                     ['--na-prob', 'squad2/na.informed.json', '--na-prob-thresh', '0.5']))
        for off_args, our_args in runs:
            with tempfile.NamedTemporaryFile('r', suffix='.json') as tf:
                subprocess.run([sys.executable, v2_path, wpath(grel), wpath(prel), '-o', tf.name] + off_args,
                               check=True, capture_output=True)
                res = json.load(open(tf.name))
            add_case('squad2', 'en', prel, grel, res, our_args)


# ---------------------------------------------------------------- tagging

UPOS = 'ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X'.split()


def conllu_sentences(path, max_sent):
    sents, cur = [], []
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if not line:
            if cur:
                sents.append(cur)
                cur = []
                if len(sents) >= max_sent:
                    break
            continue
        if line.startswith('#'):
            continue
        cols = line.split('\t')
        if '-' in cols[0] or '.' in cols[0]:  # multiword ranges and empty nodes, as XTREME drops them
            continue
        cur.append((cols[1], cols[3]))
    return sents


def germeval_sentences(path, max_sent):
    sents, cur = [], []
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('#'):
            continue
        if not line.strip():
            if cur:
                sents.append(cur)
                cur = []
                if len(sents) >= max_sent:
                    break
            continue
        cols = line.split('\t')
        cur.append((cols[1], cols[2]))
    return sents


def tag_file(sents, with_tokens):
    out = []
    for s in sents:
        for tok, tag in s:
            out.append(f'{tok}\t{tag}' if with_tokens else tag)
        out.append('')
    return '\n'.join(out) + '\n'


def ner_perturb(tags, rng):
    t = list(tags)
    for i in range(len(t)):
        x = rng.random()
        if t[i].startswith('B-') and x < 0.15:
            t[i] = 'I-' + t[i][2:]                     # chunk starting with I-
        elif t[i].startswith('I-') and x < 0.15:
            t[i] = 'O'                                 # truncated chunk
        elif t[i] != 'O' and x < 0.25:
            t[i] = t[i][:2] + rng.choice(['PER', 'LOC', 'ORG', 'OTH'])  # type change mid-chunk
        elif t[i] == 'O' and x < 0.05:
            t[i] = rng.choice(['B-PER', 'I-LOC', 'B-ORG', 'I-OTH'])
    return t


def run_tagging(xteval, task, lang, gold_sents, pred_tags, grel, prel, tmp, pred_with_tokens=False):
    """Official evaluate_one_task on tag-only files (XTREME's label format), seqeval's
    accuracy_score for the secondary token accuracy."""
    g_only = os.path.join(tmp, 'g.tsv')
    p_only = os.path.join(tmp, 'p.tsv')
    open(g_only, 'w').write(tag_file(gold_sents, False))
    open(p_only, 'w').write(tag_file([list(zip([t for t, _ in s], p)) for s, p in zip(gold_sents, pred_tags)], False))
    res = quiet(xteval.evaluate_one_task, p_only, g_only, task, lang)
    res = {k: float(v) for k, v in res.items()}
    y_true = [[tag for _, tag in s] for s in gold_sents]
    res['accuracy'] = float(accuracy_score(y_true, pred_tags)) * 100
    ptxt = tag_file([list(zip([t for t, _ in s], p)) for s, p in zip(gold_sents, pred_tags)], pred_with_tokens)
    write_text(prel, ptxt)
    add_case(task, lang, prel, grel, res, note='token<TAB>tag prediction; official run on its tag column' if pred_with_tokens else '')


def gen_tagging(args, xteval, rng, tmp):
    ud = {'en': 'UD_English-EWT/en_ewt-ud-dev.conllu', 'de': 'UD_German-GSD/de_gsd-ud-test.conllu',
          'zh': 'UD_Chinese-GSD/zh_gsd-ud-test.conllu'}
    for lang, rel in ud.items():
        sents = conllu_sentences(os.path.join(args.data, 'ud', rel), 60)
        grel = f'udpos/gold.{lang}.tsv'
        write_text(grel, tag_file(sents, True))
        gold_tags = [[t for _, t in s] for s in sents]
        sets = {
            'perfect': gold_tags,
            'random': [[rng.choice(UPOS) for _ in s] for s in sents],
            'noun': [['NOUN'] * len(s) for s in sents],
            'perturbed': [[rng.choice(UPOS) if rng.random() < 0.15 else t for t in s] for s in gold_tags],
            'x_starts': [['X'] + s[1:] if rng.random() < 0.5 else s for s in gold_tags],
        }
        for name, pt in sets.items():
            run_tagging(xteval, 'udpos', lang, sents, pt, grel, f'udpos/pred.{lang}.{name}.tsv', tmp)
        run_tagging(xteval, 'udpos', lang, sents, sets['perturbed'], grel, f'udpos/pred.{lang}.perturbed_tok.tsv', tmp, True)

    sents = germeval_sentences(os.path.join(args.data, 'ner-germeval14', 'germeval14-dev.tsv'), 150)
    # PAN-X gold carries a "lang:" prefix on tokens: keep it, the scorer reads the tag column
    sents = [[('de:' + tok, tag) for tok, tag in s] for s in sents]
    grel = 'panx/gold.de.tsv'
    write_text(grel, tag_file(sents, True))
    gold_tags = [[t for _, t in s] for s in sents]
    sets = {
        'perfect': gold_tags,
        'all_o': [['O'] * len(s) for s in sents],
        'perturbed': [ner_perturb(s, rng) for s in gold_tags],
        'perturbed2': [ner_perturb(s, rng) for s in gold_tags],
        'random': [[rng.choice(['O', 'O', 'O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG']) for _ in s] for s in sents],
        'iobes': [[('S-' + t[2:] if t.startswith('B-') else t) for t in s] for s in gold_tags],
    }
    for name, pt in sets.items():
        run_tagging(xteval, 'panx', 'de', sents, pt, grel, f'panx/pred.de.{name}.tsv', tmp)

    # seqeval corner cases: hand-written sequences, gold vs prediction
    edge = [
        (['O', 'I-PER', 'I-PER', 'O'], ['O', 'B-PER', 'I-PER', 'O']),
        (['B-PER', 'I-LOC', 'I-LOC'], ['B-PER', 'I-PER', 'I-LOC']),
        (['B-PER', 'B-PER', 'O', 'B-LOC'], ['B-PER', 'I-PER', 'O', 'B-LOC']),
        (['NOUN', 'NOUN', 'VERB', 'X', 'X', 'NOUN'], ['NOUN', 'VERB', 'VERB', 'X', 'NOUN', 'NOUN']),
        (['X', 'PUNCT'], ['X', 'X']),
        ([], []),
        (['S-PER', 'B-LOC', 'E-LOC', 'O', 'S-ORG'], ['B-PER', 'B-LOC', 'I-LOC', 'O', 'S-ORG']),
        (['E-PER', 'I-PER', 'S-LOC', 'E-LOC'], ['E-PER', 'E-PER', 'I-LOC', 'E-LOC']),
        (['B', 'I', 'O', 'I-', 'B-'], ['B', 'B', 'O', 'I', 'B-']),
        (['PER', 'LOC', 'B-PER'], ['PER', 'PER', 'I-PER']),
        (['.', 'B-MISC', '.', 'I-MISC'], ['B-MISC', 'I-MISC', '.', 'I-MISC']),
        (['B-PER-X', 'I-PER-X', 'I-PER'], ['B-PER-X', 'I-PER', 'I-PER-X']),
        ([], []),
        (['O'], ['I-PER']),
        (['ÄDJ', 'ÄDJ', 'Ö'], ['ÄDJ', 'O', 'Ö']),
    ]
    gold_sents = [[(f't{i}', t) for i, t in enumerate(g)] for g, _ in edge]
    grel = 'seqeval/gold.edge.tsv'
    write_text(grel, tag_file(gold_sents, True))
    run_tagging(xteval, 'panx', 'xx', gold_sents, [p for _, p in edge], grel, 'seqeval/pred.edge.tsv', tmp)
    run_tagging(xteval, 'udpos', 'xx', gold_sents, [g for g, _ in edge], grel, 'seqeval/pred.edge_perfect.tsv', tmp)
    # get_entities on each side (flattened as seqeval does), for test_seqeval
    ents = []
    for seqs in [[g for g, _ in edge], [p for _, p in edge]]:
        ents.append({'sentences': seqs, 'entities': [list(e) for e in get_entities(seqs)]})
    for s in [['NOUN', 'NOUN'], ['X'], ['O', 'X', 'NOUN'], ['B-PER'], ['I-LOC', 'B-LOC', 'E-LOC', 'S-LOC']]:
        ents.append({'sentences': [s], 'entities': [list(e) for e in get_entities([s])]})
    write_json('seqeval/entities.json', ents)


# ---------------------------------------------------------------- classification / retrieval

def gen_lines(args, xteval, rng):
    # XNLI sw dev: labels; the gold also as a TSV in the XNLI-1.0 layout (constructed: sw rows
    # from the official Swahili dev, interleaved with English rows from the my/en file)
    rows = [l.rstrip('\n').split('\t') for l in open(os.path.join(args.data, 'xnli', 'sw.genre.dev.tsv'), encoding='utf-8')][1:301]
    en_rows = [l.rstrip('\n').split('\t') for l in open(os.path.join(args.data, 'xnli', 'my.genre.dev.tsv'), encoding='utf-8')]
    hdr = en_rows[0]
    en_rows = en_rows[1:101]
    i1, i2 = hdr.index('sentence1_en'), hdr.index('sentence2_en')
    gold = [r[1] for r in rows]
    write_text('xnli/gold.sw.txt', '\n'.join(gold) + '\n')
    tsv = ['language\tgold_label\tsentence1\tsentence2\tgenre']
    for k, r in enumerate(rows):
        tsv.append(f'sw\t{r[1]}\t{r[2]}\t{r[3]}\t{r[0]}')
        if k < len(en_rows) and k % 3 == 0:
            e = en_rows[k]
            tsv.append(f'en\t{e[1]}\t{e[i1]}\t{e[i2]}\t{e[0]}')
    write_text('xnli/xnli.dev.tsv', '\n'.join(tsv) + '\n')
    labels = ['entailment', 'neutral', 'contradiction']
    sets = {'perfect': gold, 'constant': ['entailment'] * len(gold),
            'random': [rng.choice(labels) for _ in gold],
            'noisy': [rng.choice(labels) if rng.random() < 0.3 else g for g in gold]}
    for name, p in sets.items():
        prel = f'xnli/pred.sw.{name}.txt'
        write_text(prel, '\n'.join(p) + '\n')
        res = quiet(xteval.evaluate_one_task, wpath(prel), wpath('xnli/gold.sw.txt'), 'xnli', 'sw')
        add_case('xnli', 'sw', prel, 'xnli/gold.sw.txt', res)
        add_case('xnli', 'sw', prel, 'xnli/xnli.dev.tsv', res, note='XNLI-1.0 TSV gold; official run on its sw labels')

    # PAWS-X de dev: the real dev_2k.tsv layout, first 300 rows
    lines = open(os.path.join(args.data, 'pawsx-de', 'dev_2k.tsv'), encoding='utf-8').read().split('\n')
    write_text('pawsx/dev_2k.tsv', '\n'.join(lines[:301]) + '\n')
    gold = [l.split('\t')[-1].strip() for l in lines[1:301]]
    write_text('pawsx/gold.de.txt', '\n'.join(gold) + '\n')
    sets = {'perfect': gold, 'ones': ['1'] * len(gold), 'random': [rng.choice('01') for _ in gold],
            'noisy': [('1' if g == '0' else '0') if rng.random() < 0.2 else g for g in gold]}
    for name, p in sets.items():
        prel = f'pawsx/pred.de.{name}.txt'
        write_text(prel, '\n'.join(p) + '\n')
        res = quiet(xteval.evaluate_one_task, wpath(prel), wpath('pawsx/gold.de.txt'), 'pawsx', 'de')
        add_case('pawsx', 'de', prel, 'pawsx/gold.de.txt', res)
        add_case('pawsx', 'de', prel, 'pawsx/dev_2k.tsv', res, note='PAWS-X TSV gold; official run on its label column')

    # Tatoeba: gold = original index of each sentence (a permutation), XTREME's label format
    n = 100
    gold = list(range(n))
    rng.shuffle(gold)
    write_text('tatoeba/gold.de.txt', '\n'.join(map(str, gold)) + '\n')
    sets = {'perfect': gold, 'random': [rng.randrange(n) for _ in gold],
            'shifted': [(g + (1 if rng.random() < 0.4 else 0)) % n for g in gold], 'identity': list(range(n))}
    for name, p in sets.items():
        prel = f'tatoeba/pred.de.{name}.txt'
        write_text(prel, '\n'.join(map(str, p)) + '\n')
        res = quiet(xteval.evaluate_one_task, wpath(prel), wpath('tatoeba/gold.de.txt'), 'tatoeba', 'de')
        add_case('tatoeba', 'de', prel, 'tatoeba/gold.de.txt', res)

    # BUCC-like: (de-id, en-id) pairs built over the Tatoeba deu-eng lines: ids are random
    # 9-digit numbers, as in the BUCC files
    de = open('tests/fixtures/tatoeba/tatoeba.deu-eng.deu', encoding='utf-8').read().split('\n')[:100]
    src_ids = [f'de-{rng.randrange(10**9):09d}' for _ in de]
    trg_ids = [f'en-{rng.randrange(10**9):09d}' for _ in de]
    gold_pairs = [f'{s}\t{t}' for s, t in zip(src_ids, trg_ids)][:80]
    write_text('bucc2018/gold.de.tsv', '\n'.join(gold_pairs) + '\n')
    wrong = [f'{rng.choice(src_ids)}\t{rng.choice(trg_ids)}' for _ in range(40)]
    sets = {'perfect': gold_pairs, 'half': gold_pairs[::2] + wrong[:20], 'superset': gold_pairs + wrong,
            'duplicates': gold_pairs[:30] + gold_pairs[:30] + wrong[:5], 'wrong': wrong,
            'swapped': [f'{t}\t{s}' for s, t in zip(src_ids, trg_ids)][:50]}
    for name, p in sets.items():
        prel = f'bucc2018/pred.de.{name}.tsv'
        write_text(prel, '\n'.join(p) + '\n')
        res = quiet(xteval.evaluate_one_task, wpath(prel), wpath('bucc2018/gold.de.tsv'), 'bucc2018', 'de')
        add_case('bucc2018', 'de', prel, 'bucc2018/gold.de.tsv', res)
    write_text('bucc2018/pred.de.none.tsv', '')
    add_case('bucc2018', 'de', 'bucc2018/pred.de.none.tsv', 'bucc2018/gold.de.tsv',
             quiet(xteval.evaluate_one_task, wpath('bucc2018/pred.de.none.tsv'), wpath('bucc2018/gold.de.tsv'), 'bucc2018', 'de'))


# ---------------------------------------------------------------- CPython Unicode tables

def ranges(pred):
    out, start = [], None
    for c in range(0x110000):
        v = pred(c)
        if v and start is None:
            start = c
        elif not v and start is not None:
            out.append((start, c - 1))
            start = None
    if start is not None:
        out.append((start, 0x10FFFF))
    return out


def gen_unicode():
    punct = {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith('P')}.union(string.punctuation)
    word = re.compile(r'\w')
    surrogate = lambda c: 0xD800 <= c <= 0xDFFF

    def probe_a(ch):  # c + Σ → final iff c is cased and not case-ignorable
        return (ch + 'Σ').lower()[-1] == 'ς'

    def probe_b(ch):  # A + c + Σ → final iff c is case-ignorable or cased
        return ('A' + ch + 'Σ').lower()[-1] == 'ς'

    props = {
        'assigned': lambda c: unicodedata.category(chr(c)) != 'Cn' and not surrogate(c),
        'space': lambda c: chr(c).isspace(),
        'word': lambda c: bool(word.match(chr(c))),
        'mlqa_punct': lambda c: chr(c) in punct,
        'case_ignorable': lambda c: not surrogate(c) and probe_b(chr(c)) and not probe_a(chr(c)),
        'cased_not_ignorable': lambda c: not surrogate(c) and probe_a(chr(c)),
    }
    lines = [f'# CPython {sys.version.split()[0]} unicodedata {unicodedata.unidata_version}: '
             'code point ranges (hex, inclusive) per property, then str.lower() of every code point it changes']
    for name, fn in props.items():
        for a, b in ranges(fn):
            lines.append(f'{name} {a:X} {b:X}')
    for c in range(0x110000):
        if surrogate(c):
            continue
        lo = chr(c).lower()
        if lo != chr(c):
            lines.append('lower %X %s' % (c, ' '.join('%X' % ord(x) for x in lo)))
    # whole-string lowering cases for the final-sigma rule
    for s in ['ΟΔΟΣ', 'ΟΔΟΣ.', 'Σ', 'ΑΣ\u0301Β', 'Α\u0301Σ', 'ΑΣ\'Α', 'ΑΣ:', 'aΣb', 'AΣ1', '1Σ', 'ᾼΣ', 'ªΣ', 'ⅠΣ', 'ΣΣΣ',
              'İstanbul ΑΘΗΝΑΣ', 'ΑΣ\u00ad']:
        lines.append('string %s | %s' % (' '.join('%X' % ord(x) for x in s), ' '.join('%X' % ord(x) for x in s.lower())))
    write_text('unicode_py.txt', '\n'.join(lines) + '\n')


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument('--xtreme', required=True, help='google-research/xtreme mirror (git dir) or checkout')
    ap.add_argument('--mlqa', required=True, help='facebookresearch/MLQA mirror or checkout')
    ap.add_argument('--squad2', required=True, help='a repo (git dir) or directory holding evaluate-v2.0.py')
    ap.add_argument('--data', default=os.environ.get('XSTILTS_DATA', 'data'),
                    help='the real-data folder (default: $XSTILTS_DATA, else data/ in the repository)')
    ap.add_argument('--out', default='tests/fixtures/metrics')
    args = ap.parse_args()
    OUT = args.out
    rng = random.Random(20201)
    with tempfile.TemporaryDirectory() as tmp:
        xteval, mlqa, v2_path = setup_official(args, tmp)
        gen_qa(args, xteval, mlqa, v2_path, rng)
        gen_tagging(args, xteval, rng, tmp)
        gen_lines(args, xteval, rng)
    gen_unicode()
    manifest = {
        'generator': 'tools/gen_metric_goldens.py',
        'official': {'xtreme': git_head(args.xtreme), 'mlqa': git_head(args.mlqa), 'squad2': git_head(args.squad2),
                     'seqeval': seqeval.__version__ if hasattr(seqeval, '__version__') else '1.2.2',
                     'python': sys.version.split()[0], 'unidata': unicodedata.unidata_version},
        'cases': CASES,
    }
    with open(wpath('goldens.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    print(f'{len(CASES)} cases, {sum(len(c["expected"]) for c in CASES)} metric values', file=sys.stderr)


if __name__ == '__main__':
    main()
