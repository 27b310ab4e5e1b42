# arxiv_fdw: PostgreSQL foreign data wrapper for the arXiv API

MODULE_big = arxiv_fdw
OBJS = \
	src/arxiv_fdw.o \
	src/arxiv_id.o \
	src/atom.o \
	src/cache.o \
	src/cache_owner.o \
	src/convert.o \
	src/deparse.o \
	src/fetch.o \
	src/http.o \
	src/oai.o \
	src/oai_journal.o \
	src/oai_plan.o \
	src/oai_rows.o \
	src/oai_scan.o \
	src/option.o \
	src/plan.o \
	src/query.o \
	src/ratelimit.o \
	src/request.o \
	src/sax_common.o \
	src/scan.o \
	src/stats.o

EXTENSION = arxiv_fdw
# the install script is built from its parts, one per area
DATA_built = sql/arxiv_fdw--1.0.sql
PGFILEDESC = "arxiv_fdw - foreign data wrapper for the arXiv API"

REGRESS = options scan pushdown semantics errors response_cache cache matview security oai
REGRESS_OPTS = --inputdir=. --outputdir=test/regress-out

PKG_CONFIG ?= pkg-config
# PostgreSQL's own headers are read as system headers: some of their inline
# functions leave parameters unused, which -Wextra would report in every file.
PG_CPPFLAGS = -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server) \
	$(shell $(PKG_CONFIG) --cflags libcurl libxml-2.0)
PG_CFLAGS = -Wall -Wextra -Wno-sign-compare -Wno-missing-field-initializers
SHLIB_LINK = $(shell $(PKG_CONFIG) --libs libcurl libxml-2.0)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/arxiv_fdw--1.0.sql: $(sort $(wildcard $(srcdir)/sql/parts/*.sql))
	cat $^ > $@

# pg_regress --outputdir must exist
installcheck: | test/regress-out
test/regress-out:
	mkdir -p $@

# The SQL tests talk to the bundled mock arXiv API: pg_regress runs under
# test/mock/with-mock, which starts the mock unless one already answers on
# MOCK_PORT (default 18089) and stops it afterwards.
pg_regress_installcheck := $(patsubst %/pg_regress,$(srcdir)/test/mock/with-mock %/pg_regress,$(pg_regress_installcheck))
