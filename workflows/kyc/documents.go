package kyc

import (
	"fmt"
	"slices"
	"strings"

	"idflow/internal/validate"
)

// IDnGO's verification steps and the document types each takes.
const (
	StepIdentity = "IDENTITY"
	StepSelfie   = "SELFIE"
)

// Document sides of a two-sided document (idDocSubType).
const (
	SideFront = "FRONT_SIDE"
	SideBack  = "BACK_SIDE"
)

// docType is a document type IDnGO takes, its step, and whether it has two
// sides, both of which must be sent (the document: "если FRONT_SIDE
// отправлен, а BACK_SIDE — нет, проверка не будет завершена").
type docType struct {
	name     string
	step     string
	twoSided bool
}

// docTypes are sorted by name (a slice, not a map: workflow code must not
// range over maps).
var docTypes = []docType{
	{"DRIVERS", StepIdentity, true},
	{"ID_CARD", StepIdentity, true},
	{"PASSPORT", StepIdentity, false},
	{"RESIDENCE_PERMIT", StepIdentity, true},
	{"SELFIE", StepSelfie, false},
}

func lookupDocType(name string) (docType, bool) {
	for _, t := range docTypes {
		if t.name == name {
			return t, true
		}
	}
	return docType{}, false
}

// Levels are the verification levels configured for the account, with the
// steps each requires; a level not listed is checked by IDnGO alone.
var Levels = map[string][]string{
	"basic-kyc-level": {StepIdentity, StepSelfie},
	"id-only-level":   {StepIdentity},
}

// DocTypes lists the document types IDnGO takes, sorted.
func DocTypes() []string {
	types := make([]string, 0, len(docTypes))
	for _, t := range docTypes {
		types = append(types, t.name)
	}
	return types
}

// StepOf names the IDnGO verification step a document type belongs to.
func StepOf(idDocType string) string {
	if t, ok := lookupDocType(idDocType); ok {
		return t.step
	}
	return StepIdentity
}

// CheckDocuments reports every document IDnGO would refuse or never finish
// checking, each under "documents[i]": the type, its side and the country;
// with a known level, that the document's step belongs to it. When complete
// is set (a first submission, not the re-upload of rejected images), a
// two-sided type needs both sides and every step of a known level a document.
func CheckDocuments(level string, docs []Document, complete bool) validate.FieldErrors {
	var errs validate.FieldErrors
	if len(docs) == 0 {
		errs.Add("documents", "at least one document required")
	}
	steps, knownLevel := Levels[level]
	sides := map[string][]string{}
	covered := map[string]bool{}
	for i, doc := range docs {
		path := fmt.Sprintf("documents[%d]", i)
		checkDocument(&errs, path, doc)
		t, known := lookupDocType(doc.IDDocType)
		if !known {
			continue
		}
		if knownLevel && !slices.Contains(steps, t.step) {
			errs.Add(path+".idDocType", fmt.Sprintf("%s (step %s) is not part of level %s (steps: %s)",
				doc.IDDocType, t.step, level, strings.Join(steps, ", ")))
		}
		covered[t.step] = true
		if t.twoSided {
			sides[doc.IDDocType] = append(sides[doc.IDDocType], doc.IDDocSubType)
		}
	}
	if !complete {
		return errs // a resubmission re-sends only the rejected images
	}
	for _, docType := range DocTypes() {
		if given, ok := sides[docType]; ok && (!slices.Contains(given, SideFront) || !slices.Contains(given, SideBack)) {
			errs.Add("documents", docType+" needs both "+SideFront+" and "+SideBack)
		}
	}
	if knownLevel {
		for _, step := range steps {
			if !covered[step] {
				errs.Add("documents", fmt.Sprintf("no document for step %s of level %s", step, level))
			}
		}
	}
	return errs
}

// checkDocument checks one document's own fields.
func checkDocument(errs *validate.FieldErrors, path string, doc Document) {
	t, known := lookupDocType(doc.IDDocType)
	switch {
	case doc.IDDocType == "":
		errs.Add(path+".idDocType", "required")
	case !known:
		errs.Add(path+".idDocType", "unknown document type "+doc.IDDocType+" (known: "+strings.Join(DocTypes(), ", ")+")")
	case t.twoSided && doc.IDDocSubType != SideFront && doc.IDDocSubType != SideBack:
		errs.Add(path+".idDocSubType", doc.IDDocType+" is two-sided: want "+SideFront+" or "+SideBack)
	case !t.twoSided && doc.IDDocSubType != "":
		errs.Add(path+".idDocSubType", doc.IDDocType+" is one-sided: no side expected")
	}
	errs.Check(path+".country", validate.CountryAlpha3(doc.Country))
	if doc.DocumentID == "" {
		errs.Add(path+".documentId", "required")
	}
}
