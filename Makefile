# mod_concierge - build, run and test.
#
#   make run     install what is missing, build, start PostgreSQL + httpd on
#                127.0.0.1:8080 in the foreground (Ctrl-C stops both)
#   make test    install what is missing, build, run every test
#
# Other targets: build, unit, integration, san (sanitizer build + tests),
# bench, user, install, deb, purity, checksrc, clean.  See README.md.

SHELL       := /bin/bash
BUILD       ?= build
APXS        ?= apxs
PKGS        := jansson libcurl openssl libpq
SAN         ?=
CC          ?= cc

AP_INC      := -I$(shell $(APXS) -q INCLUDEDIR 2>/dev/null) \
               $(shell apr-1-config --includes 2>/dev/null) \
               $(shell apu-1-config --includes 2>/dev/null)
AP_DEFS     := -DLINUX -D_REENTRANT -D_GNU_SOURCE
WARN        := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
               -Wformat -Werror=format-security -Wshadow -Wstrict-prototypes -Werror=implicit-function-declaration
OPT         ?= -O2 -g
ifeq ($(SAN),1)
  OPT       := -O1 -g -fno-omit-frame-pointer
  SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
CFLAGS_ALL  := -std=gnu11 -fPIC -pipe $(OPT) -fstack-protector-strong \
               -D_FORTIFY_SOURCE=2 $(WARN) $(AP_DEFS) $(SANFLAGS)
CORE_CFLAGS := $(CFLAGS_ALL) $(shell apr-1-config --includes 2>/dev/null) \
               $(shell apu-1-config --includes 2>/dev/null) \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -Imod_concierge/core
MOD_CFLAGS  := $(CORE_CFLAGS) $(AP_INC) -Imod_concierge
LIBS        := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
TEST_LIBS   := $(shell pkg-config --libs check 2>/dev/null) -lapr-1 -laprutil-1 $(LIBS) -lpthread

CORE_SRC    := $(wildcard mod_concierge/core/*.c)
CORE_OBJ    := $(CORE_SRC:%.c=$(BUILD)/%.o)
MOD_SRC     := $(wildcard mod_concierge/*.c mod_concierge/api/*.c)
# Every MC_RESOURCE(...) of the glue, listed by make (scripts/resources.sh).
RES_SRC     := $(BUILD)/gen/mc_resources.c
# The locked risk rules (the emergency rules and "*" negators of
# conf/risk-rules.txt), compiled into the module: scripts/risk-rules.sh.
LOCKED_SRC  := $(BUILD)/gen/mc_locked_rules.c
MOD_OBJ     := $(MOD_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/mc_resources.o \
               $(BUILD)/gen/mc_locked_rules.o
UNIT_SRC    := $(wildcard tests/unit/*.c)
UNIT_OBJ    := $(UNIT_SRC:%.c=$(BUILD)/%.o)
INTEG_SRC   := $(wildcard tests/integration/*.c)
INTEG_OBJ   := $(INTEG_SRC:%.c=$(BUILD)/%.o)
CORE_LIB    := $(BUILD)/libconcierge_core.a
MODULE      := $(BUILD)/mod_concierge.so

.PHONY: all build deps run test unit integration san bench user purity \
        checksrc clean eval risk-ml eval-risk-ml install deb web deps-browser
.DEFAULT_GOAL := build

all build: purity web $(MODULE) $(BUILD)/unit_tests $(BUILD)/integration_tests risk-ml

deps:
	@scripts/deps.sh

# make test also needs Debian's chromium (the browser tests).
deps-browser:
	@CC_DEPS_BROWSER=1 scripts/deps.sh

# The patient pages and the widget (web/ -> htdocs/, scripts/web.sh).
web:
	@scripts/web.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(if $(filter mod_concierge/core/%,$<),$(CORE_CFLAGS),$(MOD_CFLAGS)) -MMD -MP -c -o $@ $<

$(RES_SRC): $(MOD_SRC) scripts/resources.sh
	@mkdir -p $(dir $@)
	@scripts/resources.sh $@ $(MOD_SRC)

$(BUILD)/gen/mc_resources.o: $(RES_SRC)
	$(CC) $(MOD_CFLAGS) -c -o $@ $<

$(LOCKED_SRC): conf/risk-rules.txt scripts/risk-rules.sh
	@mkdir -p $(dir $@)
	@scripts/risk-rules.sh c conf/risk-rules.txt > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/mc_locked_rules.o: $(LOCKED_SRC)
	$(CC) $(MOD_CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The module: glue objects + the pure core.  ap_* / apr_* resolve from httpd.
$(MODULE): $(MOD_OBJ) $(CORE_LIB)
	$(CC) -shared $(SANFLAGS) -Wl,-z,relro -Wl,-z,now -o $@ $(MOD_OBJ) $(CORE_LIB) $(LIBS)

$(BUILD)/unit_tests: $(UNIT_OBJ) $(CORE_LIB)
	$(CC) $(SANFLAGS) -o $@ $(UNIT_OBJ) $(CORE_LIB) $(TEST_LIBS)

# The mail suite calls the module's SMTP client directly (APR and libcurl
# only, no httpd symbol).
$(BUILD)/integration_tests: $(INTEG_OBJ) $(BUILD)/mod_concierge/mod_concierge_http.o $(CORE_LIB)
	$(CC) $(SANFLAGS) -o $@ $(INTEG_OBJ) $(BUILD)/mod_concierge/mod_concierge_http.o $(CORE_LIB) $(TEST_LIBS)

# The core library must never include an httpd header.
purity:
	@if grep -nE '#\s*include\s*[<"](httpd|http_[a-z_]+|ap_[a-z_]+|mod_[a-z_]+|util_[a-z_]+)\.h[>"]' mod_concierge/core/*.[ch]; then \
	    echo "purity: mod_concierge/core/ includes an httpd header (above)"; exit 1; fi

checksrc:
	@scripts/checksrc.sh

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

integration: deps $(MODULE) risk-ml $(BUILD)/integration_tests
	CC_BUILD=$(abspath $(BUILD)) $(BUILD)/integration_tests

test: deps-browser
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory checksrc
	@scripts/test.sh $(abspath $(BUILD))

san: deps
	@$(MAKE) --no-print-directory SAN=1 BUILD=build-san build
	@scripts/test.sh $(abspath build-san) san

run: deps
	@$(MAKE) --no-print-directory purity web $(MODULE) risk-ml
	@scripts/run.sh $(abspath $(BUILD))

# The Debian layout (scripts/install.sh): make install DESTDIR=... PREFIX=/usr
PREFIX      ?= /usr
DESTDIR     ?=
APACHE_ETC  ?= /etc/apache2
install: $(MODULE) risk-ml web
	@scripts/install.sh "$(DESTDIR)" "$(PREFIX)" "$(shell $(APXS) -q LIBEXECDIR)" \
	    "$(APACHE_ETC)" "$(abspath $(BUILD))"

# The Debian package, linted: build/deb/libapache2-mod-concierge_*.deb
deb:
	@scripts/deb.sh

user: deps
	@scripts/user.sh "$(NAME)" "$(ROLE)"

bench: deps
	@$(MAKE) --no-print-directory purity $(MODULE) risk-ml $(BUILD)/bench_index $(BUILD)/eval_risk \
	    $(BUILD)/bench_core
	@scripts/bench.sh $(abspath $(BUILD))

# Retrieval quality on the labelled set (recall@1/@3, MRR; TF-IDF cosine
# baseline computed in the same run).  Exits non-zero below target.
EVAL_BIN    := $(BUILD)/eval_retrieval

EVAL_UTIL   := tests/eval/eval_util.c tests/eval/eval_kb.c

$(EVAL_BIN): tests/eval/eval_retrieval.c $(EVAL_UTIL) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -Itests/eval -o $@ $< $(EVAL_UTIL) $(CORE_LIB) $(LIBS) -lapr-1 -laprutil-1

$(BUILD)/bench_index: bench/bench_index.c $(EVAL_UTIL) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -Itests/eval -o $@ $< $(EVAL_UTIL) $(CORE_LIB) $(LIBS) -lapr-1 -laprutil-1

# Risk check and slot query alone, in process (the timings that used to
# print from the unit suite).
$(BUILD)/bench_core: bench/bench_core.c $(EVAL_UTIL) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -Itests/eval -o $@ $< $(EVAL_UTIL) $(CORE_LIB) $(LIBS) -lapr-1 -laprutil-1

# The extractive chat answer alone (CPU per question of bench/chat.lua,
# with and without the index's sentence tables):
#   make build/bench_extract && build/bench_extract knowledge
$(BUILD)/bench_extract: bench/bench_extract.c $(EVAL_UTIL) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -Itests/eval -o $@ $< $(EVAL_UTIL) $(CORE_LIB) $(LIBS) -lapr-1 -laprutil-1

# Risk detection on the labelled patient messages (recall, false
# positives, emergency recall, per category, CPU time per check).
EVAL_RISK_BIN := $(BUILD)/eval_risk

$(EVAL_RISK_BIN): tests/eval/eval_risk.c $(EVAL_UTIL) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -Itests/eval -o $@ $< $(EVAL_UTIL) $(CORE_LIB) $(LIBS) -lapr-1 -laprutil-1

# The risk gate's two learned layers (docs/INTERNALS.md, "Beyond the rules";
# docs/VOCABULARY.md).  Both images are build output, never committed.
#   build/risk-vocab.bin  medical vocabulary from Debian's word lists
#   build/risk-model.bin  linear classifier trained on the labelled sets
VOCAB_IMG   := $(BUILD)/risk-vocab.bin
VOCAB_SRCS  := /usr/share/hunspell/en_med_glut.dic:en \
               /usr/share/hunspell/de_med.dic:de /usr/share/dict/german-medical:de
VOCAB_COMMON := /usr/share/dict/american-english
RISK_MODEL  := $(BUILD)/risk-model.bin
RISK_TRAIN  := tests/eval/risk.tsv tests/eval/risk2_a.tsv tests/eval/risk2_b.tsv \
               tests/eval/risk3.tsv tests/eval/risk5_en.tsv \
               tests/eval/risk5_esfrdeit.tsv tests/eval/risk5_ptnlpl.tsv \
               tests/eval/risk6_en.tsv tests/eval/risk6_esfrdeit.tsv \
               tests/eval/risk6_ptnlpl.tsv tests/eval/risk7_en.tsv \
               tests/eval/risk7_esfrdeit.tsv tests/eval/risk7_ptnlpl.tsv \
               tests/eval/booking1_tune.tsv
# (booking1_tune.tsv, 2026-12-08: plain booking requests - the clinic's
# services, days and times, in the eight languages - and ten that carry a
# disclosure; without them the classifier alone flagged 4 of 18 held-out
# booking requests, the sample clinic's "chemical peel" most.)
# Questions patients ask about the clinic (the tuning halves of the answer
# sets) as benign training-only examples (riskml_train --questions): tried
# 2026-12-07 (fourth cycle) and NOT used by the build.  Chosen on tuning
# data (the a/b halves' questions trained, answerable3 and answerable4_tune
# scored), they cut answerable questions escalated from 15 to 10 of 150 and
# 10 to 5 of 80, at the same out-of-fold recall on the patient messages;
# but the model trained on every tuning half then answered "I have melasma
# on both cheeks ... what should I put on it?" (a patient's own condition
# and treatment: tests/integration/test_answers.c) and its lower p(risky)
# on questions let the veto clear an admin's new rule in "Can I eat
# marmalade before my appointment?" (test_safety_rules.c).  Leaving out
# the questions that name a medical term or a have/take/child/age/other
# cue fixed both but kept little of the gain (12 and 7) and moved one
# emergency out of fold.  A question-shaped disclosure is the one message
# this must never learn to answer, so the build trains on patient messages
# only.  To repeat: make risk-ml RISK_QUESTIONS_FLAGS="--questions-weight
# 0.5 $(addprefix --questions ,$(RISK_QUESTIONS))".
RISK_QUESTIONS := tests/eval/answerable_a.tsv tests/eval/answerable_b.tsv \
                  tests/eval/answerable3.tsv tests/eval/answerable4_tune.tsv \
                  tests/eval/unanswerable_a.tsv tests/eval/unanswerable_b.tsv \
                  tests/eval/unanswerable3.tsv tests/eval/unanswerable4_tune.tsv
# The classifier's concept lexicon (data, one file per language; compiled
# into the model image by the trainer).
RISK_LEXICON := $(wildcard conf/risk-lexicon/*.txt)

$(BUILD)/vocab_build: tools/vocab_build.c $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_LIB) $(LIBS) -lapr-1 -laprutil-1

$(VOCAB_IMG): $(BUILD)/vocab_build conf/vocab-exclude.txt $(VOCAB_COMMON) \
              $(foreach s,$(VOCAB_SRCS),$(firstword $(subst :, ,$(s))))
	$(BUILD)/vocab_build $@ --common $(VOCAB_COMMON) \
	    --exclude conf/vocab-exclude.txt $(VOCAB_SRCS)

$(BUILD)/riskml_train: tools/riskml_train.c $(EVAL_UTIL) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -Itests/eval -o $@ $< $(EVAL_UTIL) $(CORE_LIB) $(LIBS) -lapr-1 -laprutil-1

# (--lexicon conf/risk-rules.txt would add the rules' words as training-only
# examples; on the tuning set, two-fold, it lowered recall: 0.76 against
# 0.81 at the same false positives, so the model learns from messages only.)
# --budget-with-rules 0.04 and --veto-budget 0.002 (2026-12-07, third
# cycle, chosen out of fold on the training sets): the classifier alone
# makes a message risky only where, with the rules present, it adds at
# most 4% of the benign messages as false alarms, and its veto of the
# rules' non-emergency matches may cost at most 0.2% of the risky
# messages and no emergency (out of fold on 6,630 messages: recall
# 0.971 -> 0.970, false positives 0.183 -> 0.130).
$(RISK_MODEL): $(BUILD)/riskml_train $(VOCAB_IMG) $(RISK_TRAIN) $(RISK_LEXICON) \
               conf/risk-rules.txt
	$(BUILD)/riskml_train $@ --concepts conf/risk-lexicon \
	    --vocab $(VOCAB_IMG) --rules conf/risk-rules.txt \
	    --budget-with-rules 0.04 --veto-budget 0.002 $(RISK_TRAIN) \
	    $(RISK_QUESTIONS_FLAGS)

risk-ml: $(VOCAB_IMG) $(RISK_MODEL)

# Rules + vocabulary + classifier on the training sets (in-sample: a sanity
# check, not a measure) and on any set named in RISK_EVAL, each reported on
# its own, e.g. the final fair test:
#   make eval-risk-ml RISK_EVAL=tests/eval/risk4_heldout.tsv
RISK_EVAL   ?=
eval-risk-ml: risk-ml $(BUILD)/eval_risk
	-$(BUILD)/eval_risk conf/risk-rules.txt --vocab $(VOCAB_IMG) \
	    --model $(RISK_MODEL) $(RISK_TRAIN) $(RISK_EVAL)

# Answer or refuse: the chat's grounding decision over answerable and
# unanswerable questions (tuning and held-out halves).
EVAL_ANSWER_BIN := $(BUILD)/eval_answer

$(EVAL_ANSWER_BIN): tests/eval/eval_answer.c $(EVAL_UTIL) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -Itests/eval -o $@ $< $(EVAL_UTIL) $(CORE_LIB) $(LIBS) -lapr-1 -laprutil-1 -lm

# make eval: every labelled set, the tuning half and the held-out half
# reported apart.  Tune only on what is not *_heldout.tsv; the held-out
# sets are the fair test (tests/eval/README.md: which set was written
# when, and what each has been used for).
RISK_LAYERS := --vocab $(VOCAB_IMG) --model $(RISK_MODEL)
eval: deps risk-ml $(EVAL_BIN) $(EVAL_RISK_BIN) $(EVAL_ANSWER_BIN)
	$(EVAL_BIN) knowledge tests/eval/retrieval.tsv
	-$(EVAL_BIN) knowledge tests/eval/retrieval_heldout.tsv | tail -n 8
	@echo "== risk gate, rules alone"
	-$(EVAL_RISK_BIN) conf/risk-rules.txt --quiet tests/eval/risk.tsv \
	    tests/eval/risk2_a.tsv tests/eval/risk2_b.tsv tests/eval/risk3.tsv \
	    tests/eval/risk5_en.tsv tests/eval/risk5_esfrdeit.tsv \
	    tests/eval/risk5_ptnlpl.tsv tests/eval/risk6_en.tsv \
	    tests/eval/risk6_esfrdeit.tsv tests/eval/risk6_ptnlpl.tsv \
	    tests/eval/risk7_en.tsv tests/eval/risk7_esfrdeit.tsv \
	    tests/eval/risk7_ptnlpl.tsv \
	    tests/eval/risk4_tune.tsv tests/eval/risk4_heldout.tsv \
	    tests/eval/risk5_heldout.tsv tests/eval/risk6_heldout.tsv \
	    tests/eval/risk7_heldout.tsv tests/eval/booking1_heldout.tsv
	@echo "== risk gate, rules + vocabulary + classifier (as the module runs)"
	-$(EVAL_RISK_BIN) conf/risk-rules.txt $(RISK_LAYERS) --quiet \
	    tests/eval/risk.tsv tests/eval/risk2_a.tsv tests/eval/risk2_b.tsv \
	    tests/eval/risk3.tsv tests/eval/risk5_en.tsv \
	    tests/eval/risk5_esfrdeit.tsv tests/eval/risk5_ptnlpl.tsv \
	    tests/eval/risk6_en.tsv tests/eval/risk6_esfrdeit.tsv \
	    tests/eval/risk6_ptnlpl.tsv tests/eval/risk7_en.tsv \
	    tests/eval/risk7_esfrdeit.tsv tests/eval/risk7_ptnlpl.tsv \
	    tests/eval/risk4_tune.tsv tests/eval/risk4_heldout.tsv \
	    tests/eval/risk5_heldout.tsv tests/eval/risk6_heldout.tsv \
	    tests/eval/risk7_heldout.tsv tests/eval/booking1_tune.tsv \
	    tests/eval/booking1_heldout.tsv
	@echo "== answer or refuse"
	-$(EVAL_ANSWER_BIN) knowledge --rules conf/risk-rules.txt $(RISK_LAYERS) \
	    --quiet tests/eval/answerable_a.tsv tests/eval/unanswerable_a.tsv \
	    tests/eval/answerable_b.tsv tests/eval/unanswerable_b.tsv \
	    tests/eval/answerable3.tsv tests/eval/unanswerable3.tsv \
	    tests/eval/answerable4_tune.tsv tests/eval/unanswerable4_tune.tsv \
	    tests/eval/answerable4_heldout.tsv tests/eval/unanswerable4_heldout.tsv

clean:
	rm -rf build build-san

-include $(CORE_OBJ:.o=.d) $(MOD_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(INTEG_OBJ:.o=.d)
