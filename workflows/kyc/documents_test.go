package kyc

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func fields(t *testing.T, level string, docs []Document, complete bool) []string {
	t.Helper()
	var out []string
	for _, e := range CheckDocuments(level, docs, complete) {
		out = append(out, e.Field+": "+e.Message)
	}
	return out
}

func TestCheckDocumentsAcceptsACompleteSubmission(t *testing.T) {
	docs := []Document{
		{IDDocType: "ID_CARD", IDDocSubType: SideFront, Country: "RUS", DocumentID: "d1"},
		{IDDocType: "ID_CARD", IDDocSubType: SideBack, Country: "RUS", DocumentID: "d2"},
		{IDDocType: "SELFIE", Country: "RUS", DocumentID: "d3"},
	}
	assert.Empty(t, fields(t, "basic-kyc-level", docs, true))
	assert.Empty(t, fields(t, "a-custom-level", docs, true), "an unknown level is left to IDnGO")
	assert.Empty(t, fields(t, "", docs[:1], false), "a resubmission re-sends one side")
}

func TestCheckDocumentsReportsEveryProblem(t *testing.T) {
	docs := []Document{
		{IDDocType: "FOO", Country: "RUS", DocumentID: "d1"},
		{IDDocType: "PASSPORT", IDDocSubType: SideFront, Country: "RU", DocumentID: "d2"},
		{IDDocType: "ID_CARD", Country: "RUS"},
		{IDDocType: "DRIVERS", IDDocSubType: SideFront, Country: "RUS", DocumentID: "d4"},
	}
	got := fields(t, "basic-kyc-level", docs, true)
	assert.Equal(t, []string{
		"documents[0].idDocType: unknown document type FOO (known: DRIVERS, ID_CARD, PASSPORT, RESIDENCE_PERMIT, SELFIE)",
		"documents[1].idDocSubType: PASSPORT is one-sided: no side expected",
		"documents[1].country: invalid format: want an ISO 3166-1 alpha-3 code such as RUS",
		"documents[2].idDocSubType: ID_CARD is two-sided: want FRONT_SIDE or BACK_SIDE",
		"documents[2].documentId: required",
		"documents: DRIVERS needs both FRONT_SIDE and BACK_SIDE",
		"documents: ID_CARD needs both FRONT_SIDE and BACK_SIDE",
		"documents: no document for step SELFIE of level basic-kyc-level",
	}, got)
	assert.Equal(t, []string{"documents[0].idDocType: SELFIE (step SELFIE) is not part of level id-only-level (steps: IDENTITY)"},
		fields(t, "id-only-level", []Document{{IDDocType: "SELFIE", Country: "RUS", DocumentID: "d"}}, false))
	assert.Equal(t, []string{"documents: at least one document required"}, fields(t, "", nil, false))
}
