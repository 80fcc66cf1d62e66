#!/usr/bin/python3
# Turn an OpenSPF YAML suite (rfc7208-tests.yml, maybe gzipped) into the
# line format test_spf reads: "@scenario", zone lines as auth_zone_load
# takes them, and one "@test" line per test, tab-separated:
#   @test ID HELO HOST MAILFROM RESULT[,RESULT...] EXPLANATION|!
# SPF-type records are copied to TXT for names without TXT, as the suite's
# own driver does.
import gzip, sys, yaml

def txt(strings):
    out = []
    for s in strings:
        b = s.encode('utf-8')
        e = ''
        for c in b:
            if c in (0x22, 0x5c):
                e += '\\' + chr(c)
            elif c < 0x20 or c > 0x7e:
                e += '\\%03d' % c
            else:
                e += chr(c)
        out.append('"' + e + '"')
    return ' '.join(out)

def nm(n):
    return n.replace('\\', '\\092').replace(' ', '\\032')

def one(v):
    return v.replace('\t', ' ').replace('\n', ' ')

path = sys.argv[1]
f = gzip.open(path) if path.endswith('.gz') else open(path, 'rb')
for doc in yaml.safe_load_all(f):
    print('@scenario')
    for name, recs in doc.get('zonedata', {}).items():
        has_txt = any(isinstance(r, dict) and 'TXT' in r for r in recs)
        for r in recs:
            if not isinstance(r, dict):
                if r == 'TIMEOUT':
                    print(nm(name), 'TIMEOUT')
                continue
            for t, v in r.items():
                if t in ('TXT', 'SPF'):
                    if v == 'TIMEOUT':
                        print(nm(name), 'TIMEOUT', 'TXT')
                        continue
                    if isinstance(v, str):
                        v = [v]
                    if v == ['NONE']:
                        continue
                    if t == 'TXT' or not has_txt:
                        print(nm(name), 'TXT', txt(v))
                elif t == 'MX':
                    print(nm(name), 'MX', v[0], v[1])
                elif v == 'TIMEOUT':
                    print(nm(name), 'TIMEOUT', t)
                else:
                    print(nm(name), t, v)
    for tid, t in doc['tests'].items():
        res = t['result']
        if not isinstance(res, list):
            res = [res]
        exp = t.get('explanation')
        print('\t'.join(['@test', tid, one(t.get('helo', '')), one(t.get('host', '')),
                         one(t.get('mailfrom', '')), ','.join(res),
                         '!' if exp is None else one(exp)]))
