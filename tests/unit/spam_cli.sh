# wary spam on the command line: train, classify with bogofilter's exit
# codes (0 spam, 1 ham, 2 unsure, 3 error), dedupe, retrain, untrain,
# stats, prune, batches over a Maildir with progress, and the errors.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$WARY" ]; then
	not_ok "wary binary at $WARY"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data HOME=$tmp
unset WARY_SPAM_DB
fx=$TOP/tests/fixtures/spam
db=$tmp/t.db

"$WARY" spam train --db "$db" --spam "$fx"/spam-*.eml --ham "$fx"/ham-*.eml 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && grep -q "trained 12, already trained 0, retrained 0" "$tmp/err" &&
	ok "train --spam ... --ham ... in one run" || not_ok "train (rc $rc: $(cat "$tmp/err"))"
"$WARY" spam classify --db "$db" "$fx/arrival-spam.eml" >"$tmp/out"; rc=$?
[ $rc = 0 ] && grep -Eq "^spam 0\.[0-9]+" "$tmp/out" && ok "a spam: prints spam and its probability, exit 0" ||
	not_ok "a spam: exit 0 (got $rc: $(cat "$tmp/out"))"
cat >"$tmp/ham.eml" <<'M'
From: anna@neighbours.example
To: user@home.example
Subject: Re: minutes of the tenants meeting

Thanks for the minutes, the roof repair next month is fine with me.
See you at the next meeting on the 14th.
M
"$WARY" spam classify --db "$db" "$tmp/ham.eml" >"$tmp/out"; rc=$?
[ $rc = 1 ] && grep -q "^ham " "$tmp/out" && ok "a ham: exit 1" || not_ok "a ham: exit 1 (got $rc: $(cat "$tmp/out"))"
printf 'From: q@zz.invalid\nSubject: qqqq\n\nzzzyx wvvut\n' >"$tmp/unknown.eml"
"$WARY" spam classify --db "$db" "$tmp/unknown.eml" >"$tmp/out"; rc=$?
[ $rc = 2 ] && grep -q "^unsure 0.5" "$tmp/out" && ok "nothing known: unsure 0.5, exit 2" ||
	not_ok "nothing known: exit 2 (got $rc: $(cat "$tmp/out"))"
"$WARY" spam classify --db "$db" "$tmp/no-such-file" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 3 ] && grep -q "no-such-file" "$tmp/err" && ok "a missing file: exit 3, named" || not_ok "a missing file: exit 3 (got $rc)"
printf 'not a database, not at all, but long enough to be read as one......\n' >"$tmp/bad.db"
"$WARY" spam classify --db "$tmp/bad.db" "$tmp/ham.eml" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 3 ] && ok "a file that is not a token store: exit 3" || not_ok "a bad store: exit 3 (got $rc)"
"$WARY" spam classify --db "$db" --set nonsense=1 "$tmp/ham.eml" >/dev/null 2>&1; rc=$?
[ $rc = 3 ] && ok "an unknown --set: exit 3" || not_ok "an unknown --set: exit 3 (got $rc)"
"$WARY" spam frobnicate >/dev/null 2>&1; rc=$?
[ $rc = 3 ] && ok "an unknown subcommand: exit 3" || not_ok "an unknown subcommand (got $rc)"
"$WARY" spam classify --db "$db" --explain "$fx/arrival-spam.eml" >"$tmp/out"
grep -q "spam [0-9]* ham [0-9]*  subj:" "$tmp/out" && ok "--explain lists the tokens that counted" ||
	not_ok "--explain lists the tokens that counted: $(head -5 "$tmp/out")"
"$WARY" spam classify --db "$db" - <"$fx/arrival-spam.eml" >/dev/null; rc=$?
[ $rc = 0 ] && ok "'-' reads standard input" || not_ok "'-' reads standard input (got $rc)"

# dedupe, retrain, untrain
"$WARY" spam train --db "$db" --spam "$fx/spam-1.eml" 2>"$tmp/err"
grep -q "trained 0, already trained 1" "$tmp/err" && ok "training again counts once" || not_ok "dedupe: $(cat "$tmp/err")"
"$WARY" spam stats --db "$db" >"$tmp/s1"
grep -q "^spam messages: 6$" "$tmp/s1" && grep -q "^ham messages: 6$" "$tmp/s1" && ok "stats: 6 spam, 6 ham" ||
	not_ok "stats: $(cat "$tmp/s1")"
"$WARY" spam train --db "$db" --ham "$fx/spam-1.eml" 2>"$tmp/err"
grep -q "retrained 1" "$tmp/err" && "$WARY" spam stats --db "$db" | grep -q "^spam messages: 5$" &&
	ok "training the other way retrains (5 spam now)" || not_ok "retrain: $(cat "$tmp/err")"
"$WARY" spam untrain --db "$db" "$fx/spam-1.eml" 2>"$tmp/err"
grep -q "untrained 1" "$tmp/err" && "$WARY" spam stats --db "$db" | grep -q "^ham messages: 6$" &&
	ok "untrain takes it out" || not_ok "untrain: $(cat "$tmp/err")"
"$WARY" spam stats --db "$db" casino >"$tmp/out"
grep -Eq "^token casino: spam [1-9][0-9]* ham 0" "$tmp/out" && ok "stats TOKEN gives its counts" ||
	not_ok "stats TOKEN: $(tail -1 "$tmp/out")"
"$WARY" spam prune --db "$db" --days 0 --max-count 1 >"$tmp/out"; rc=$?
[ $rc = 0 ] && grep -Eq "^pruned [1-9][0-9]* tokens" "$tmp/out" && ok "prune removes rare tokens" ||
	not_ok "prune (rc $rc): $(cat "$tmp/out")"

# a Maildir of 300 messages: batch training with progress, batch classify
md=$tmp/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
for i in $(seq 1 300); do
	sed "s/^Message-ID: .*/Message-ID: <batch-$i@test.example>/; s/^Subject: \(.*\)/Subject: \1 $i/" \
		"$fx/ham-$(( (i % 6) + 1 )).eml" >"$md/cur/$i.batch:2,S"
done
"$WARY" spam train --db "$tmp/b.db" --ham "$md" --spam "$fx"/spam-*.eml 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && grep -q "trained 306" "$tmp/err" && ok "a Maildir is trained with the files, in one run" ||
	not_ok "Maildir training (rc $rc): $(tail -1 "$tmp/err")"
grep -q "trained [0-9]*/306" "$tmp/err" && ok "progress on stderr for a big set" || not_ok "progress on stderr"
"$WARY" spam classify --db "$tmp/b.db" "$md" "$fx/arrival-spam.eml" >"$tmp/out"; rc=$?
[ "$(grep -c "^ham " "$tmp/out")" = 300 ] && [ $rc = 0 ] && [ "$(tail -1 "$tmp/out" | cut -d' ' -f1)" = spam ] &&
	ok "batch classify: 300 ham lines in order, exit of the last (spam)" ||
	not_ok "batch classify (rc $rc, $(grep -c "^ham " "$tmp/out") ham)"
WARY_SPAM_THREADS=1 "$WARY" spam classify --db "$tmp/b.db" "$md" "$fx/arrival-spam.eml" >"$tmp/out1"
cmp -s "$tmp/out" "$tmp/out1" && ok "one thread or many: the same output" || not_ok "one thread or many: the same output"

# the default store: $WARY_SPAM_DB, else $XDG_DATA_HOME/wary/spam.db
"$WARY" spam train -q --spam "$fx/spam-2.eml"
[ -f "$tmp/data/wary/spam.db" ] && [ "$(stat -c %a "$tmp/data/wary/spam.db")" = 600 ] &&
	ok "the default store is \$XDG_DATA_HOME/wary/spam.db, mode 0600" || not_ok "the default store"
WARY_SPAM_DB=$tmp/env.db "$WARY" spam train -q --spam "$fx/spam-2.eml"
[ -f "$tmp/env.db" ] && ok "WARY_SPAM_DB names another store" || not_ok "WARY_SPAM_DB names another store"
"$WARY" spam rules | grep -q "^BAYES_99 " && ok "spam rules prints the table" || not_ok "spam rules prints the table"

# cross-validation and the training regimes it measures
nfx=$(ls "$fx"/spam-*.eml "$fx"/ham-*.eml | wc -l)
"$WARY" spam cv --folds 3 --heldout-retrain --spam "$fx"/spam-*.eml --ham "$fx"/ham-*.eml >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(grep -c '^P [01] 0\.[0-9]' "$tmp/out")" = "$nfx" ] &&
	[ "$(grep -Ec '^fold [0-2]: [0-9]+ hard messages weighted 3' "$tmp/err")" = 3 ] &&
	ok "cv --heldout-retrain: a probability per message, a retrain per fold" ||
	not_ok "cv --heldout-retrain (rc $rc: $(tail -2 "$tmp/err"))"
"$WARY" spam cv --folds 3 --toe --exhaust 2 --spam "$fx"/spam-*.eml --ham "$fx"/ham-*.eml >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(grep -c '^P ' "$tmp/out")" = "$nfx" ] && grep -Eq '^fold 0 toe pass 1: [1-9][0-9]* trained' "$tmp/err" &&
	ok "cv --toe: trains on errors, from an empty model" || not_ok "cv --toe (rc $rc: $(tail -2 "$tmp/err"))"
"$WARY" spam cv --heldout-retrain --weight 0 --spam "$fx"/spam-*.eml --ham "$fx"/ham-*.eml >/dev/null 2>&1; rc=$?
[ $rc = 3 ] && ok "cv --weight 0 is refused, exit 3" || not_ok "cv --weight 0 (rc $rc)"
# An unsure Bayes verdict is decided by the hybrid score of what the
# message shows: nothing known (0.5, BAYES_45) and a program attached is
# 1.5 + 3.0 + 0.1 (no DKIM), under 5, still unsure; the same program
# named invoice.pdf.exe adds LYING_ATTACHMENT 2.5 and makes spam.
att_msg() {
	printf 'From: q@zz.invalid\nSubject: qqqq\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n'
	printf -- '--b\nContent-Type: text/plain\n\nzzzyx wvvut\n--b\nContent-Type: application/octet-stream\n'
	printf 'Content-Disposition: attachment; filename="%s"\nContent-Transfer-Encoding: base64\n\n' "$1"
	printf 'TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAAAAA\n--b--\n'
}
att_msg invoice.exe >"$tmp/exe.eml"
att_msg invoice.pdf.exe >"$tmp/dblext.eml"
"$WARY" spam classify --db "$db" --explain "$tmp/exe.eml" >"$tmp/out"; rc=$?
[ $rc = 2 ] && grep -q "^unsure 0.5" "$tmp/out" && grep -q "bayes unsure, score=4.6, required 5: BAYES_45 1.50, .*EXECUTABLE_ATTACHMENT 3.00" "$tmp/out" &&
	ok "unsure, a program attached: score 4.6, still unsure, exit 2" ||
	not_ok "unsure with a program (rc $rc: $(cat "$tmp/out"))"
"$WARY" spam classify --db "$db" --explain "$tmp/dblext.eml" >"$tmp/out"; rc=$?
[ $rc = 0 ] && grep -q "^spam 0.5" "$tmp/out" && grep -q "bayes unsure, score=7.1, .*LYING_ATTACHMENT 2.50" "$tmp/out" &&
	ok "unsure, invoice.pdf.exe attached: score 7.1, spam by the score, exit 0" ||
	not_ok "unsure with a double extension (rc $rc: $(cat "$tmp/out"))"
"$WARY" spam classify --db "$db" "$tmp/dblext.eml" "$tmp/ham.eml" "$tmp/exe.eml" >"$tmp/out"; rc=$?
[ $rc = 2 ] && [ "$(cut -d' ' -f1 "$tmp/out" | tr '\n' ' ')" = "spam ham unsure " ] &&
	ok "many files: the score decides each unsure one, in order" || not_ok "many files with scores (rc $rc: $(cat "$tmp/out"))"
# over 16 files the threads classify from the table in memory and decide
# the unsure ones there
for i in $(seq 1 18); do cp "$tmp/ham.eml" "$tmp/many-$i.eml"; done
"$WARY" spam classify --db "$db" --explain "$tmp/dblext.eml" "$tmp/exe.eml" "$tmp"/many-*.eml >"$tmp/out"; rc=$?
[ $rc = 1 ] && [ "$(grep -Ec '^(spam|ham|unsure) ' "$tmp/out")" = 20 ] &&
	[ "$(grep -E '^(spam|ham|unsure) ' "$tmp/out" | cut -d' ' -f1 | sort | uniq -c | tr -s ' ' | tr '\n' ',')" = " 18 ham, 1 spam, 1 unsure," ] &&
	grep -A1 "^spam .*dblext.eml" "$tmp/out" | grep -q "bayes unsure, score=7.1" &&
	grep -A1 "^unsure .*exe.eml" "$tmp/out" | grep -q "bayes unsure, score=4.6" &&
	ok "20 files on threads: the unsure ones decided by their scores, shown by --explain" ||
	not_ok "20 files on threads (rc $rc: $(head -5 "$tmp/out"))"
t_done
