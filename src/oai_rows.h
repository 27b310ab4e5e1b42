/*-------------------------------------------------------------------------
 *
 * oai_rows.h
 *	  The values of the OAI-PMH tables' fields (see oai_rows.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_OAI_ROWS_H
#define ARXIV_OAI_ROWS_H

#include "utils/date.h"

#include "oai.h"

/* What a row is made of: the record, its version, its category value. */
typedef struct OaiRowSource
{
	const OaiRecord *rec;
	const OaiVersion *version;	/* the row's (versions) or latest (papers) */
	const char *category;		/* the "category" column */
	const char *id;
} OaiRowSource;

extern bool oai_field_datum(const OaiRowSource *src, OaiField f, Datum *d);
extern const OaiVersion *oai_latest_version(const OaiRecord *r);
extern bool oai_datestamp_date(const char *datestamp, DateADT *day);

#endif							/* ARXIV_OAI_ROWS_H */
