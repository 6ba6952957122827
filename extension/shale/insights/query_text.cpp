/*
 * query_text.cpp — the normalised text of a query pattern: the statement as
 * the client sent it, with each constant PostgreSQL's query jumbling found
 * (JumbleState.clocations) replaced by $n, numbered after the statement's own
 * parameters. The constants' lengths come from PostgreSQL's SQL lexer: a
 * constant ends where the next token starts (less the spaces between); a
 * negative number is the '-' and the number after it.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "parser/scanner.h"
#include "utils/queryjumble.h"
}

#include "shale/insights/query_stats.h"

static int
compare_locations(const void *a, const void *b)
{
	int left = ((const LocationLen *) a)->location, right = ((const LocationLen *) b)->location;
	return left < right ? -1 : left > right ? 1 : 0;
}

/* The start offsets of every token of text (lexed with PostgreSQL's own scanner), then its length. */
static int *
token_starts(const char *text, int length, int *count)
{
	core_yy_extra_type extra;
	core_yyscan_t scanner = scanner_init(text, &extra, &ScanKeywords, ScanKeywordTokens);
	int capacity = 64, used = 0;
	int *starts = (int *) palloc(sizeof(int) * capacity);
	for (;;)
	{
		core_YYSTYPE value;
		YYLTYPE location;
		int token = core_yylex(&value, &location, scanner);
		if (used + 1 >= capacity)
		{
			capacity *= 2;
			starts = (int *) repalloc(starts, sizeof(int) * capacity);
		}
		if (token == 0)
			break;
		starts[used++] = location;
	}
	scanner_finish(scanner);
	starts[used] = length;
	*count = used;
	return starts;
}

char *
normalised_query_text(const char *source, int location, int length, const JumbleState *jumble, int *normalised_length)
{
	int source_length = (int) strlen(source);
	if (location < 0 || location > source_length)
		location = 0;
	if (length <= 0 || location + length > source_length)
		length = source_length - location;
	char *statement = pnstrdup(source + location, length);

	LocationLen *constants = (LocationLen *) palloc(sizeof(LocationLen) * Max(jumble->clocations_count, 1));
	memcpy(constants, jumble->clocations, sizeof(LocationLen) * jumble->clocations_count);
	qsort(constants, jumble->clocations_count, sizeof(LocationLen), compare_locations);

	int token_count;
	int *starts = token_starts(statement, length, &token_count);

	StringInfoData text;
	initStringInfo(&text);
	int copied = 0, token = 0, number = jumble->highest_extern_param_id;
	for (int i = 0; i < jumble->clocations_count; i++)
	{
		int start = constants[i].location - location;
		if (start < copied || start >= length)
			continue; /* outside this statement, or a repeat */
		while (token < token_count && starts[token] < start)
			token++;
		if (token >= token_count || starts[token] != start)
			continue; /* not at a token: leave the text as it is */
		int next = token + 1;
		if (statement[start] == '-' && next < token_count)
			next++; /* a negative number: '-' and the number */
		int end = starts[Min(next, token_count)];
		while (end > start && isspace((unsigned char) statement[end - 1]))
			end--;
		appendBinaryStringInfo(&text, statement + copied, start - copied);
		appendStringInfo(&text, "$%d", ++number);
		copied = end;
	}
	appendBinaryStringInfo(&text, statement + copied, length - copied);
	pfree(starts);
	pfree(constants);
	pfree(statement);
	*normalised_length = text.len;
	return text.data;
}
