#!/usr/bin/python3
# Turn the authheaders test data (cases.json, dns.yml) into what test_dmarc
# reads: zone lines ("NAME TXT ..."; that test's resolver answers every
# query from a TXT table) and one "@case" line per DMARC case, tab-separated:
#   @case TEST MESSAGE DKIM-PASS-DOMAINS(,) RESULT POLICY USED(from|org|-) BIS(0|1)
# The DKIM input is the case's "prev" Authentication-Results when it gives
# one, else the dkim=pass results the case expects (DKIM itself is checked
# by test_dkim); the DMARC result and policy are what is tested.
import json, os, re, sys

d = sys.argv[1]
cur = None
for line in open(os.path.join(d, 'dns.yml')):
    line = line.rstrip('\n')
    if not line.strip() or line.startswith('#'):
        continue
    if not line.startswith('-') and line.endswith(':'):
        cur = line[:-1].strip()
        continue
    m = re.match(r'-\s*TXT:\s*(.*)$', line)
    if m and cur:
        v = m.group(1).strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in '"\'':
            v = v[1:-1]
        print(cur, 'TXT', '"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"')

for c in json.load(open(os.path.join(d, 'cases.json')))['cases']:
    opts = c.get('options', {})
    exp = c['expected']
    if opts.get('dmarc', True) is False:
        continue
    m = re.search(r'dmarc=(\w+)', exp)
    if not m:
        continue
    src = opts.get('prev') if opts.get('prev') not in (None, '<prev>') else exp
    dk = re.findall(r'dkim=pass header\.d=([^\s;]+)', src)
    pol = re.search(r'policy\.dmarc=(\w+)', exp)
    used = '-'
    if 'Used From Domain Record' in exp:
        used = 'from'
    elif 'Used Org Domain Record' in exp:
        used = 'org'
    print('\t'.join(['@case', c['test'], c['message'], ','.join(dk), m.group(1),
                     pol.group(1) if pol else '-', used,
                     '1' if opts.get('dmarcbis') else '0']))
