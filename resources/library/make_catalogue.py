#!/usr/bin/env python3
"""Builds the picture library's catalogue: things.tsv, excluded.tsv and README.md.

Reads the art packages as installed (Twemoji and OpenMoji from npm, Tux Paint stamps and OpenClipart from Debian),
the Unicode CLDR annotations for names in English, simplified and traditional Chinese, and the
hand-made curation under curation/. Python 3 standard library only; the output is deterministic.

  python3 make_catalogue.py --npm /tmp/libnpm --cldr /usr/share/unicode/cldr \
      --tuxpaint /usr/share/tuxpaint/stamps --openclipart /usr/share/openclipart/svg --out resources/library
"""
import argparse
import collections
import fnmatch
import html
import json
import os
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET

CATEGORIES = ['animal', 'person', 'job', 'body', 'food', 'drink', 'plant', 'vehicle', 'building', 'place',
              'toy', 'sport', 'weather', 'sky', 'clothes', 'instrument', 'school', 'home', 'tool', 'nature',
              'fantasy', 'celebration', 'symbol']
COLUMNS = ['id', 'category', 'en', 'en_synonyms', 'zh_hans', 'zh_hans_synonyms', 'zh_hant', 'zh_hant_synonyms',
           'art', 'variants', 'licence', 'kept_because']
# Curation rows: these columns, after the key (and, for emoji.tsv, the action).
CURATION_COLUMNS = ['id', 'category', 'en', 'en_synonyms', 'zh_hans', 'zh_hans_synonyms', 'zh_hant',
                    'zh_hant_synonyms', 'note']
SOURCES = ['twemoji', 'openmoji', 'tuxpaint', 'openclipart']
LICENCES = {'twemoji': 'CC-BY-4.0', 'openmoji': 'CC-BY-SA-4.0', 'tuxpaint': 'GPL-2.0+', 'openclipart': 'CC-PDDC'}
# Country names that take 'the' in English ('flag of the Netherlands').
THE = {'United States', 'United Kingdom', 'Netherlands', 'Philippines', 'Bahamas', 'Gambia', 'Maldives',
       'United Arab Emirates', 'European Union', 'United Nations', 'Vatican City', 'Caribbean Netherlands',
       'Comoros', 'Seychelles', 'U.S. Outlying Islands', 'Congo - Brazzaville', 'Congo - Kinshasa'}
SKIN_TONES = {'1f3fb', '1f3fc', '1f3fd', '1f3fe', '1f3ff'}
HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    sys.exit('make_catalogue: ' + msg)


# ---------------------------------------------------------------- reading helpers

def read_tsv(path, columns):
    """Rows of a curation TSV as dicts; '#' lines and blank lines are comments."""
    rows = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            cells = line.split('\t')
            if len(cells) > len(columns):
                fail('%s:%d: %d cells, expected at most %d' % (path, n, len(cells), len(columns)))
            row = dict(zip(columns, [c.strip() for c in cells] + [''] * (len(columns) - len(cells))))
            row['where'] = '%s:%d' % (os.path.basename(path), n)
            rows.append(row)
    return rows


def seq_key(codes):
    """Normalised code point sequence: lower-case hex without leading zeros, variation selector 16 dropped."""
    return '-'.join('%x' % int(c, 16) for c in re.split('[- ]', codes.strip()) if c and c.lower() != 'fe0f')


def text_key(s):
    return '-'.join('%x' % ord(c) for c in s if ord(c) != 0xfe0f)


def slug(s):
    s = unicodedata.normalize('NFKD', s).encode('ascii', 'ignore').decode()
    s = s.lower().replace("'", '').replace('&', ' and ')
    return re.sub('[^a-z0-9]+', '_', s).strip('_')


def split_list(s):
    return [x.strip() for x in s.split('|') if x.strip()]


def syn_cell(s):
    """A curation synonyms cell as a list: '-' is none, a leading '+' is dropped."""
    return [] if s.strip() == '-' else split_list(s.lstrip('+'))


def load_cldr(cldr, lang):
    """(names, keywords) by normalised sequence, from annotations/ and annotationsDerived/."""
    names, keywords = {}, {}
    for sub in ('annotations', 'annotationsDerived'):
        path = os.path.join(cldr, 'common', sub, lang + '.xml')
        for a in ET.parse(path).getroot().iter('annotation'):
            k = text_key(a.get('cp'))
            if a.get('type') == 'tts':
                names[k] = a.text.strip()
            else:
                keywords[k] = split_list(a.text)
    return names, keywords


def cldr_version(cldr):
    try:
        with open(os.path.join(cldr, 'common', 'dtd', 'ldml.dtd'), encoding='utf-8') as f:
            m = re.search(r'cldrVersion CDATA #FIXED "([^"]+)"', f.read())
            return m.group(1) if m else 'unknown'
    except OSError:
        return 'unknown'


def debian_version(package):
    try:
        out = subprocess.run(['dpkg-query', '-W', '-f=${Version}', package], capture_output=True, text=True)
        return out.stdout.strip() or 'unknown'
    except OSError:
        return 'unknown'


def npm_package(npm, name):
    path = os.path.join(npm, 'node_modules', name, 'package.json')
    with open(path, encoding='utf-8') as f:
        return json.load(f)


# ---------------------------------------------------------------- the catalogue being built

class Catalogue:
    def __init__(self):
        self.things = collections.OrderedDict()   # id -> dict
        self.excluded = []                        # (art, en, reason)
        self.claimed = set()                      # art refs placed somewhere

    def claim(self, refs):
        for r in refs:
            if r in self.claimed:
                fail('art %s placed twice' % r)
            self.claimed.add(r)

    def add_thing(self, tid, fields, art, variants, where, origin='emoji'):
        if tid in self.things:
            fail('%s: id %s defined twice' % (where, tid))
        if fields['category'] not in CATEGORIES:
            fail('%s: %s has category %r' % (where, tid, fields['category']))
        for col in ('en', 'zh_hans', 'zh_hant'):
            if not fields.get(col):
                fail('%s: %s has no %s name' % (where, tid, col))
        self.claim(art + variants)
        thing = {c: fields.get(c, '') for c in COLUMNS}
        thing.update(id=tid, art=list(art), variants=list(variants), origin=origin)
        for c in ('en_synonyms', 'zh_hans_synonyms', 'zh_hant_synonyms'):
            thing[c] = list(fields.get(c) or [])
        self.things[tid] = thing
        return thing

    def attach(self, tid, art, variants, where, fields=None):
        """Adds art to an existing thing: more looks (art) or skin-tone/gender variants."""
        if tid not in self.things:
            fail('%s: no thing %s to attach to' % (where, tid))
        self.claim(art + variants)
        t = self.things[tid]
        t['art'] += art
        t['variants'] += variants
        for c in ('en_synonyms', 'zh_hans_synonyms', 'zh_hant_synonyms'):
            t[c] += (fields or {}).get(c) or []
        if fields and fields.get('note') and not t['kept_because']:
            t['kept_because'] = fields['note']

    def exclude(self, art, en, reason):
        self.claim(art)
        self.excluded.append(('|'.join(art), en, reason))


def override_fields(row, base):
    """Curation row over the derived fields: a filled cell replaces the derived value. A synonyms cell
    replaces the CLDR keywords too; '+a|b' adds to them instead, and '-' leaves none."""
    out = dict(base)
    for c in ('category', 'en', 'zh_hans', 'zh_hant'):
        if row.get(c):
            out[c] = row[c]
    for c in ('en_synonyms', 'zh_hans_synonyms', 'zh_hant_synonyms'):
        cell = row.get(c, '')
        if cell == '-':
            out[c] = []
        elif cell.startswith('+'):
            out[c] = list(base.get(c) or []) + split_list(cell[1:])
        elif cell:
            out[c] = split_list(cell)
        else:
            out[c] = list(base.get(c) or [])
    out['kept_because'] = row.get('note', '') or base.get('kept_because', '')
    return out


# ---------------------------------------------------------------- Unicode emoji (Twemoji + OpenMoji)

def neutral_key(k):
    """Gender-neutral form: 'woman firefighter' -> 'firefighter', 'man running' -> 'person running'."""
    p = k.split('-')
    if len(p) >= 3 and p[-2] == '200d' and p[-1] in ('2640', '2642'):
        p = p[:-2]
    elif len(p) >= 5 and p[-4] == '200d' and p[-3] in ('2640', '2642') and p[-2] == '200d':
        p = p[:-4] + p[-2:]                      # 'woman running: facing right'
    if len(p) >= 3 and p[0] in ('1f468', '1f469') and p[1] == '200d' and \
            p[2] not in ('1f468', '1f469', '1f466', '1f467', '2764', '1f91d'):
        p = ['1f9d1'] + p[1:]                    # man/woman + role -> person + role
    return '-'.join(p)


def flag_id(k):
    """A country or region flag's id from its ISO code, which outlives a renamed country: 'flag_cn', 'flag_gb_eng'."""
    p = [int(c, 16) for c in k.split('-')]
    if len(p) == 2 and all(0x1f1e6 <= c <= 0x1f1ff for c in p):
        return 'flag_' + ''.join(chr(c - 0x1f1e6 + 97) for c in p)
    if len(p) > 2 and p[0] == 0x1f3f4 and all(0xe0061 <= c <= 0xe007a for c in p[1:-1]) and p[-1] == 0xe007f:
        tag = ''.join(chr(c - 0xe0000) for c in p[1:-1])
        return 'flag_%s_%s' % (tag[:2], tag[2:])
    return None


def strip_tones(k):
    return '-'.join(x for x in k.split('-') if x not in SKIN_TONES)


def build_emoji(cat, args, cur, cldr, sub_rules):
    om_data = json.load(open(os.path.join(args.npm, 'node_modules/openmoji/data/openmoji.json'), encoding='utf-8'))
    tw_dir = os.path.join(args.npm, 'node_modules/@twemoji/svg')
    twemoji = {seq_key(f[:-4]): f[:-4] for f in os.listdir(tw_dir) if f.endswith('.svg')}
    om_svg = set(f[:-4] for f in os.listdir(os.path.join(args.npm, 'node_modules/openmoji/color/svg')))
    openmoji = {}       # key -> hexcode, Unicode emoji only
    info = {}           # key -> openmoji entry
    members = collections.OrderedDict()   # base key -> [keys incl. skin tones]
    for e in om_data:
        if e['group'].startswith('extras'):
            continue
        k = seq_key(e['hexcode'])
        if e['hexcode'] not in om_svg:
            fail('openmoji %s has no SVG' % e['hexcode'])
        openmoji[k] = e['hexcode']
        info[k] = e
        members.setdefault(seq_key(e['skintone_base_hexcode'] or e['hexcode']), []).append(k)
    # Twemoji files that OpenMoji's list lacks (non-standard sequences): skin tones of a known base join it.
    for k in sorted(twemoji):
        if k not in openmoji:
            base = strip_tones(k)
            if base in members and base != k:
                members[base].append(k)

    def refs(k):
        out = []
        if k in twemoji:
            out.append('twemoji:' + twemoji[k])
        if k in openmoji:
            out.append('openmoji:' + openmoji[k])
        return out

    en_names = cldr['en'][0]
    overrides = {}
    for row in cur['emoji']:
        k = seq_key(row['key'])
        if k in overrides:
            fail('%s: %s listed twice' % (row['where'], row['key']))
        overrides[k] = row
    # Group the gender forms of one thing; a form that the curation names on its own stays apart.
    groups = collections.OrderedDict()
    for b in members:
        groups.setdefault(b if b in overrides else neutral_key(b), []).append(b)
    unused = set(overrides) - set(groups)
    if unused:
        fail('emoji.tsv names sequences that are no emoji: %s' % ', '.join(sorted(unused)))
    # First pass: what becomes of each group, and under which id.
    plan = []
    for n, bs in groups.items():
        primary = n if n in members else bs[0]
        e = info[primary]
        group = '%s/%s' % (e['group'], e['subgroups'])
        rule = sub_rules.get(group)
        if rule is None:
            fail('no rule for subgroup %s (%s)' % (group, e['annotation']))
        row = overrides.get(n, {})
        action = row.get('action') or ('exclude' if rule[0] == 'exclude' else 'keep')
        if action not in ('keep', 'alt', 'variant', 'exclude'):
            fail('%s: unknown action %r' % (row['where'], action))
        en = row.get('en') or en_names.get(n) or e['annotation']
        if e['group'] == 'flags' and en.startswith('flag: '):
            place = en[6:]
            place = place.replace(' & ', ' and ')
            en = 'flag of ' + ('the ' if place in THE or place.endswith(('Islands', 'Republic')) else '') + place
        tid = None if action == 'exclude' else (row.get('id') or flag_id(n) or slug(en))
        if action in ('alt', 'variant') and not row.get('id'):
            fail('%s: %s needs the id of the thing it joins' % (row['where'], action))
        plan.append((n, bs, primary, rule, row, action, en, tid))
    # A CLDR keyword becomes a synonym only when it belongs to one thing and is no generic tag.
    owner = collections.defaultdict(set)
    for n, bs, primary, rule, row, action, en, tid in plan:
        for lang in ('en', 'zh', 'zh_Hant'):
            for kw in cldr[lang][1].get(n, []):
                owner[(lang, kw.lower())].add(tid or 'excluded ' + n)

    def syns(lang, n):
        return [kw.lower() if lang == 'en' else kw for kw in cldr[lang][1].get(n, [])
                if len(owner[(lang, kw.lower())]) == 1]

    pending = []
    for n, bs, primary, rule, row, action, en, tid in plan:
        art = refs(primary)
        variants = [r for k in members[primary] if k != primary for r in refs(k)]
        for b in bs:
            if b != primary:
                variants += [r for k in members[b] for r in refs(k)]
        if action == 'exclude':
            cat.exclude(art + variants, en, row.get('note') or rule[1])
            continue
        zh, zh_t = cldr['zh'][0].get(n, ''), cldr['zh_Hant'][0].get(n, '')
        base = {'category': rule[0], 'en': en, 'zh_hans': zh, 'zh_hant': zh_t, 'en_synonyms': syns('en', n),
                'zh_hans_synonyms': syns('zh', n), 'zh_hant_synonyms': syns('zh_Hant', n)}
        if zh.startswith('旗: ') and zh_t.startswith('旗子: '):
            # A country's flag is its 国旗; a region's flag (curation/flag_regions.tsv) is its 旗.
            region = ''.join(chr(int(c, 16) - 0x1f1e6 + 65) for c in n.split('-'))
            state = len(region) == 2 and region not in cur['regions']
            base['zh_hans'] = zh[3:] + ('国旗' if state else '旗')
            base['zh_hant'] = zh_t[4:] + ('國旗' if state else '旗')
            base['zh_hans_synonyms'] = [zh[3:] + '旗'] if state else []
            base['zh_hant_synonyms'] = [zh_t[4:] + '旗'] if state else []
        # An alt or variant brings only the synonyms its curation row names, no CLDR keywords.
        fields = override_fields(row, base if action == 'keep' else {})
        if action == 'keep':
            cat.add_thing(tid, fields, art, variants, row.get('where', 'emoji ' + n))
        else:
            joined = dict(row, **{c: '|'.join(fields[c]) for c in ('en_synonyms', 'zh_hans_synonyms',
                                                                    'zh_hant_synonyms')})
            if action == 'alt':
                pending.append((joined, art, variants, row['where']))
            else:
                pending.append((joined, [], art + variants, row['where']))
    return twemoji, openmoji, pending


# ---------------------------------------------------------------- OpenMoji extras

def build_openmoji_extras(cat, args, cur, sub_rules, pending):
    om_data = json.load(open(os.path.join(args.npm, 'node_modules/openmoji/data/openmoji.json'), encoding='utf-8'))
    rows = {}
    for row in cur['extras']:
        rows[row['key'].upper()] = row
    seen = set()
    for e in om_data:
        if not e['group'].startswith('extras'):
            continue
        h = e['hexcode']
        seen.add(h.upper())
        ref = 'openmoji:' + h
        row = rows.get(h.upper())
        rule = sub_rules.get('%s/%s' % (e['group'], e['subgroups']))
        if rule is None:
            fail('no rule for subgroup %s/%s (%s)' % (e['group'], e['subgroups'], h))
        if row is None or row['action'] == 'exclude':
            reason = (row or {}).get('note') or (rule[1] if rule[0] == 'exclude' else 'not a thing children name')
            cat.exclude([ref], e['annotation'], reason)
        elif row['action'] in ('alt', 'variant'):
            pending.append((row, [ref] if row['action'] == 'alt' else [], [ref] if row['action'] == 'variant' else [],
                            row['where']))
        else:
            fields = override_fields(row, {'category': rule[0] if rule[0] != 'exclude' else '', 'en': e['annotation']})
            cat.add_thing(row['id'] or slug(fields['en']), fields, [ref], [], row['where'], 'extras')
    for h in rows:
        if h not in seen:
            fail('%s: %s is not an OpenMoji extra' % (rows[h]['where'], h))


# ---------------------------------------------------------------- Tux Paint stamps

def tux_description(path):
    """English first line and zh_CN/zh_TW lines of a stamp's .txt, if any."""
    txt = os.path.splitext(path)[0] + '.txt'
    out = {'en': '', 'zh_CN': '', 'zh_TW': ''}
    if os.path.exists(txt):
        with open(txt, encoding='utf-8', errors='replace') as f:
            lines = f.read().splitlines()
        out['en'] = lines[0].strip() if lines else ''
        for line in lines:
            for lang in ('zh_CN', 'zh_TW'):
                if line.startswith(lang + '.utf8='):
                    out[lang] = line.split('=', 1)[1].strip()
    return out


def build_tuxpaint(cat, args, cur, pending):
    stamps = []
    for d, _, files in os.walk(args.tuxpaint):
        for f in files:
            if f.endswith(('.png', '.svg')):
                stamps.append(os.path.relpath(os.path.join(d, f), args.tuxpaint).replace(os.sep, '/'))
    stamps.sort(key=lambda p: (os.path.splitext(p)[0], not p.endswith('.svg')))   # vector first
    rows = cur['tuxpaint']
    used = set()
    for p in stamps:
        row = next((r for r in rows if fnmatch.fnmatchcase(p, r['key'])), None)
        if row is None:
            fail('Tux Paint stamp %s is not in curation/tuxpaint.tsv' % p)
        used.add(row['where'])
        ref = 'tuxpaint:' + p
        desc = tux_description(os.path.join(args.tuxpaint, p))
        if row['action'] == 'exclude':
            cat.exclude([ref], desc['en'].rstrip('.!') or os.path.basename(p), row['note'])
        elif row['action'] == 'alt' or row['id'] in cat.things:
            # Another look of a thing named elsewhere (or by an earlier file of the same stamp).
            pending.append((row, [ref], [], row['where']))
        elif row['action'] != 'keep':
            fail('%s: unknown action %r' % (row['where'], row['action']))
        else:
            fields = override_fields(row, {})
            cat.add_thing(row['id'], fields, [ref], [], row['where'], 'tuxpaint')
    for r in rows:
        if r['where'] not in used:
            fail('%s: pattern %s matches no stamp' % (r['where'], r['key']))


# ---------------------------------------------------------------- OpenClipart (Debian openclipart-svg)

# Licence declarations in the SVGs' own metadata that agree with the package's public-domain dedication.
PUBLIC_DOMAIN = {'http://web.resource.org/cc/PublicDomain', 'http://creativecommons.org/licenses/publicdomain/',
                 'Public Domain', ''}


def svg_metadata(path):
    """(title, declared licence) from an OpenClipart SVG's RDF metadata; '' where it has none."""
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read(300000)
    work = re.search(r'<cc:Work\b.*?</cc:Work>', text, re.S)
    work = work.group(0) if work else ''
    title = re.search(r'<dc:title>\s*(?:<rdf:Alt>\s*<rdf:li[^>]*>)?([^<]*)<', work)
    title = re.sub(r'\s+', ' ', html.unescape(title.group(1))).strip() if title else ''
    lic = re.search(r'<cc:license\s+rdf:resource="([^"]*)"', text)
    return title, (lic.group(1).strip() if lic else '')


def build_openclipart(cat, args, cur, pending, stats):
    """Every picture file under the clipart root. The package files some drawings under two or three folders (with
    slightly different metadata): curation/openclipart.tsv marks those as copies of the one it uses. Symbolic links
    are not pictures of their own."""
    root = args.openclipart
    pictures, links = [], 0
    for d, _, files in os.walk(root):
        for f in files:
            full = os.path.join(d, f)
            if os.path.islink(full):
                links += 1
            elif f.endswith('.svg'):
                pictures.append(os.path.relpath(full, root).replace(os.sep, '/'))
    pictures.sort()
    rows = cur['openclipart']
    decided = {}                            # picture -> its row
    for p in pictures:
        row = next((r for r in rows if fnmatch.fnmatchcase(p, r['key'])), None)
        if row is None:
            fail('OpenClipart picture %s is not in curation/openclipart.tsv' % p)
        decided[p] = row
    summary = collections.OrderedDict()     # pattern row -> [pattern, pictures, reason]
    copies = collections.defaultdict(list)  # original -> its copies
    licences = collections.Counter()
    for p in pictures:
        row = decided[p]
        ref = 'openclipart:' + p
        title, lic = svg_metadata(os.path.join(root, p))
        licences[lic or '(none)'] += 1
        if row['action'] == 'exclude' and any(c in row['key'] for c in '*?['):
            summary.setdefault(row['where'], [row['key'], 0, row['note']])[1] += 1
            continue
        if row['action'] == 'copy':
            original = decided.get(row['id'])
            if original is None or original['action'] == 'copy' or any(c in original['key'] for c in '*?['):
                fail('%s: %s is a copy of %r, which is no picture with a row of its own' % (row['where'], p, row['id']))
            copies[row['id']].append(ref)
            continue
        if row['action'] != 'exclude' and lic not in PUBLIC_DOMAIN:
            fail('%s: %s declares the licence %r, not the package\'s public-domain dedication' % (row['where'], p, lic))
        if row['action'] == 'exclude':
            cat.exclude([ref], title or p.rsplit('/', 1)[-1][:-4], row['note'])
        elif row['action'] == 'alt':
            pending.append((row, [ref], [], row['where']))
        elif row['action'] == 'keep':
            if row['id'] in cat.things:
                fail('%s: %s already exists: use alt' % (row['where'], row['id']))
            cat.add_thing(row['id'], override_fields(row, {}), [ref], [], row['where'], 'openclipart')
        else:
            fail('%s: unknown action %r' % (row['where'], row['action']))
    for original, refs in sorted(copies.items()):
        cat.exclude(refs, 'copies of ' + original if len(refs) > 1 else 'copy of ' + original,
                    'another copy of openclipart:%s (the same drawing filed under another folder)' % original)
    for where, (pattern, n, reason) in summary.items():
        cat.exclude(['openclipart:' + pattern], '%d picture%s' % (n, 's' if n != 1 else ''), reason)
    used = {r['where'] for r in decided.values()}
    for r in rows:
        if r['where'] not in used:
            fail('%s: pattern %s matches no picture' % (r['where'], r['key']))
    stats.update(openclipart_files=len(pictures), openclipart_links=links,
                 openclipart_copies=sum(len(v) for v in copies.values()),
                 openclipart_distinct=len(pictures) - sum(len(v) for v in copies.values()),
                 openclipart_bulk=sum(n for _, n, _ in summary.values()),
                 openclipart_looked=len(pictures) - sum(n for _, n, _ in summary.values()),
                 openclipart_pd=licences['http://web.resource.org/cc/PublicDomain'],
                 openclipart_nolicence=licences['(none)'] + licences[''],
                 openclipart_other='; '.join('%s: %d' % (k, v) for k, v in sorted(licences.items())
                                             if k not in ('http://web.resource.org/cc/PublicDomain', '(none)', '')))


# ---------------------------------------------------------------- synonyms, checks, output

def finish(cat, cur):
    for row, art, variants, where in cur['pending']:
        if not row['id']:
            fail('%s: alt/variant needs an id' % where)
        cat.attach(row['id'], art, variants, where, {
            'en_synonyms': syn_cell(row['en_synonyms']), 'zh_hans_synonyms': syn_cell(row['zh_hans_synonyms']),
            'zh_hant_synonyms': syn_cell(row['zh_hant_synonyms']), 'note': row['note']})
    for row in cur['synonyms']:
        t = cat.things.get(row['key'])
        if t is None:
            fail('%s: no thing %s' % (row['where'], row['key']))
        for c in ('en_synonyms', 'zh_hans_synonyms', 'zh_hant_synonyms'):
            t[c] += syn_cell(row[c])
        for c in ('en', 'zh_hans', 'zh_hant', 'category'):
            if row[c]:
                t[c] = row[c]
        if row['note']:
            t['kept_because'] = row['note']
    names = {}
    for t in cat.things.values():
        for c in ('en', 'zh_hans', 'zh_hant'):
            names.setdefault((c, t[c].lower()), t['id'])
    for t in cat.things.values():
        for c, n in (('en_synonyms', 'en'), ('zh_hans_synonyms', 'zh_hans'), ('zh_hant_synonyms', 'zh_hant')):
            out = []
            for s in t[c]:
                s = s.lower() if c == 'en_synonyms' else s
                other = names.get((n, s))
                if s and s != t[n].lower() and s not in out and (other is None or other == t['id']):
                    out.append(s)
            t[c] = out
        t['licence'] = LICENCES[t['art'][0].split(':')[0]]
        if not re.fullmatch('[a-z0-9_]+', t['id']):
            fail('id %r is not an ascii slug' % t['id'])
    # A synonym shared by two things is ambiguous: report it so the curation can decide.
    owners = collections.defaultdict(list)
    for t in cat.things.values():
        for c in ('en_synonyms', 'zh_hans_synonyms', 'zh_hant_synonyms'):
            for s in t[c]:
                owners[(c, s)].append(t['id'])
    for (c, s), ids in sorted(owners.items()):
        if len(ids) > 1:
            print('note: %s %r is shared by %s' % (c, s, ', '.join(ids)), file=sys.stderr)


def write_outputs(cat, args, versions):
    order = {c: i for i, c in enumerate(CATEGORIES)}
    things = sorted(cat.things.values(), key=lambda t: (order[t['category']], t['id']))
    with open(os.path.join(args.out, 'things.tsv'), 'w', encoding='utf-8', newline='') as f:
        f.write('\t'.join(COLUMNS) + '\n')
        for t in things:
            cells = [('|'.join(t[c]) if isinstance(t[c], list) else t[c]) for c in COLUMNS]
            if any('\t' in x or '\n' in x for x in cells):
                fail('tab or newline inside %s' % t['id'])
            f.write('\t'.join(cells) + '\n')
    with open(os.path.join(args.out, 'excluded.tsv'), 'w', encoding='utf-8', newline='') as f:
        f.write('art\ten\treason\n')
        for art, en, reason in sorted(cat.excluded):
            f.write('%s\t%s\t%s\n' % (art, en, reason))
    # README: the template with counts filled in.
    by_cat = collections.Counter(t['category'] for t in things)
    by_first = collections.Counter(t['art'][0].split(':')[0] for t in things)
    by_any = collections.Counter(s for t in things for s in set(r.split(':')[0] for r in t['art'] + t['variants']))
    only = collections.Counter(next(iter(s)) for t in things
                               for s in [set(r.split(':')[0] for r in t['art'] + t['variants'])] if len(s) == 1)
    refs = collections.Counter(r.split(':')[0] for t in things for r in t['art'] + t['variants'])
    ex_refs = collections.Counter()
    for e in cat.excluded:
        for r in e[0].split('|'):
            m = re.match(r'(\d+) pictures?$', e[1]) if '*' in r else None
            ex_refs[r.split(':')[0]] += int(m.group(1)) if m else 1
    cat_table = '\n'.join('| %s | %d |' % (c, by_cat[c]) for c in CATEGORIES)
    src_table = '\n'.join('| %s | %d | %d | %d | %d | %d |' % (s, by_first[s], by_any[s], only[s], refs[s], ex_refs[s])
                          for s in SOURCES)
    with open(os.path.join(HERE, 'curation', 'README.template.md'), encoding='utf-8') as f:
        text = f.read()
    flags = sum(1 for t in things if t['id'].startswith('flag_'))
    kinds = collections.Counter(re.sub(r' \(.*', '', e[2]).split(';')[0] for e in cat.excluded)
    reasons = '\n'.join('| %s | %d |' % (r, n) for r, n in sorted(kinds.items(), key=lambda x: (-x[1], x[0])))
    values = dict(versions, total=len(things), excluded=len(cat.excluded), categories=cat_table, sources=src_table,
                  kept=sum(1 for t in things if t['kept_because']), flags=flags, without_flags=len(things) - flags,
                  shortfall=max(0, 2000 - len(things)), reasons=reasons,
                  excluded_refs=sum(ex_refs.values()),
                  from_extras=sum(1 for t in things if t['origin'] == 'extras'),
                  from_tuxpaint=sum(1 for t in things if t['origin'] == 'tuxpaint'),
                  from_openclipart=sum(1 for t in things if t['origin'] == 'openclipart'),
                  openclipart_top=', '.join('%s %d' % (t['en'], n) for n, t in sorted(
                      ((sum(1 for r in t['art'] if r.startswith('openclipart:')), t) for t in things),
                      key=lambda x: (-x[0], x[1]['id']))[:5]),
                  openclipart_looks=sum(1 for t in things for r in t['art'][1:] if r.startswith('openclipart:')
                                        and t['origin'] != 'openclipart'),
                  openclipart_touched=sum(1 for t in things if t['origin'] != 'openclipart'
                                          and any(r.startswith('openclipart:') for r in t['art'])),
                  from_emoji=sum(1 for t in things if t['origin'] == 'emoji'))
    text = re.sub(r'\{\{(\w+)\}\}', lambda m: str(values[m.group(1)]), text)
    with open(os.path.join(args.out, 'README.md'), 'w', encoding='utf-8') as f:
        f.write(text)
    return things


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--npm', required=True, help='folder where `npm install --prefix DIR @twemoji/svg openmoji` ran')
    ap.add_argument('--cldr', required=True, help='CLDR root, e.g. /usr/share/unicode/cldr')
    ap.add_argument('--tuxpaint', required=True, help='Tux Paint stamps, e.g. /usr/share/tuxpaint/stamps')
    ap.add_argument('--openclipart', required=True, help='OpenClipart SVGs, e.g. /usr/share/openclipart/svg')
    ap.add_argument('--out', required=True, help='output folder, e.g. resources/library')
    args = ap.parse_args()
    cdir = os.path.join(HERE, 'curation')
    key = ['key']
    cur = {
        'emoji': read_tsv(os.path.join(cdir, 'emoji.tsv'), key + ['action'] + CURATION_COLUMNS),
        'extras': read_tsv(os.path.join(cdir, 'openmoji_extras.tsv'), key + ['action'] + CURATION_COLUMNS),
        'tuxpaint': read_tsv(os.path.join(cdir, 'tuxpaint.tsv'), key + ['action'] + CURATION_COLUMNS),
        'openclipart': read_tsv(os.path.join(cdir, 'openclipart.tsv'), key + ['action'] + CURATION_COLUMNS),
        'synonyms': read_tsv(os.path.join(cdir, 'synonyms.tsv'), key + CURATION_COLUMNS[1:]),
        'pending': [],
    }
    cur['regions'] = {r['code'] for r in read_tsv(os.path.join(cdir, 'flag_regions.tsv'), ['code', 'note'])}
    sub_rules = {}
    for r in read_tsv(os.path.join(cdir, 'subgroups.tsv'), ['group', 'decision', 'reason']):
        sub_rules[r['group']] = (r['decision'], r['reason'])
    cldr = {lang: load_cldr(args.cldr, lang) for lang in ('en', 'zh', 'zh_Hant')}
    cat = Catalogue()
    twemoji, openmoji, pending = build_emoji(cat, args, cur, cldr, sub_rules)
    cur['pending'] += pending
    build_openmoji_extras(cat, args, cur, sub_rules, cur['pending'])
    build_tuxpaint(cat, args, cur, cur['pending'])
    oc_stats = {}
    build_openclipart(cat, args, cur, cur['pending'], oc_stats)
    finish(cat, cur)
    # Twemoji files outside Unicode's list: a gendered form of a placed emoji follows it, the rest are left out.
    owner = {r: t['id'] for t in cat.things.values() for r in t['art'] + t['variants']}
    reason = {r: e[2] for e in cat.excluded for r in e[0].split('|')}
    for k in sorted(twemoji):
        ref = 'twemoji:' + twemoji[k]
        if ref in cat.claimed:
            continue
        near = 'twemoji:' + twemoji.get(neutral_key(strip_tones(k)), '-')
        if near in owner:
            cat.attach(owner[near], [], [ref], 'twemoji ' + k)
        elif near in reason:
            cat.exclude([ref], k, reason[near])
        elif re.fullmatch('1f1[ef][0-9a-f]', k):
            cat.exclude([ref], k, 'not a thing (letter)')
        else:
            cat.exclude([ref], k, 'Twemoji picture outside Unicode\'s emoji list, not a thing children name')
    tw = npm_package(args.npm, '@twemoji/svg')
    om_extras = sum(1 for e in json.load(open(os.path.join(args.npm, 'node_modules/openmoji/data/openmoji.json'),
                                          encoding='utf-8')) if e['group'].startswith('extras'))
    om = npm_package(args.npm, 'openmoji')
    versions = {'twemoji_version': tw['version'], 'twemoji_license': tw.get('license', ''),
                'openmoji_version': om['version'], 'openmoji_license': om.get('license', ''),
                'cldr_version': cldr_version(args.cldr),
                'cldr_deb': debian_version('unicode-cldr-core'),
                'tuxpaint_deb': debian_version('tuxpaint-stamps-default'),
                'openclipart_deb': debian_version('openclipart-svg'),
                'twemoji_files': len(twemoji), 'openmoji_extras': om_extras,
                'openmoji_files': len(os.listdir(os.path.join(args.npm, 'node_modules/openmoji/color/svg'))),
                'tux_files': sum(1 for d, _, fs in os.walk(args.tuxpaint) for f in fs if f.endswith(('.png', '.svg')))}
    versions.update(oc_stats)
    things = write_outputs(cat, args, versions)
    print('%d things, %d exclusions' % (len(things), len(cat.excluded)))


if __name__ == '__main__':
    main()
