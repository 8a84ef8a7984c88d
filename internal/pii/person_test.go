package pii

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"idflow/internal/validate"
)

func validPerson() Person {
	return Person{LastName: "Шариков", FirstName: "Полиграф", Patronymic: "Полиграфович",
		PassportSeries: "1111", PassportNumber: "111111", SNILS: "112-233-445 95", Phone: "+79001234567"}
}

func TestValidateAcceptsTheTestIdentity(t *testing.T) {
	require.NoError(t, validPerson().Normalized().Validate("person"))
	p := validPerson()
	p.SNILS, p.INN = "", "500100732259"
	require.NoError(t, p.Validate("person"))
}

func TestValidateReportsEveryBadFieldWithoutValues(t *testing.T) {
	p := Person{PassportSeries: "11", PassportNumber: "111111", SNILS: "11223344596", INN: "7830002293", Phone: "89001234567"}
	err := p.Validate("person")
	var fields validate.FieldErrors
	require.True(t, errors.As(err, &fields))
	var paths []string
	for _, f := range fields {
		paths = append(paths, f.Field)
	}
	assert.Equal(t, []string{"person.lastName", "person.firstName", "person.patronymic", "person.passport",
		"person.snils", "person.inn", "person.phone"}, paths)
	for _, secret := range []string{"11223344596", "7830002293", "89001234567"} {
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestValidateNeedsSNILSOrINN(t *testing.T) {
	p := validPerson()
	p.SNILS = ""
	assert.EqualError(t, p.Validate("person"), "person.snils: SNILS or INN required")
}

func TestPersonDoesNotPrintItsData(t *testing.T) {
	assert.NotContains(t, validPerson().String(), "Шариков")
}

func TestEveryPersonalDataTypePrintsRedacted(t *testing.T) {
	person := validPerson()
	info := ApplicantInfo{FirstName: "Полиграф", LastName: "Шариков", Phone: "+79001234567"}
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(core)
	for _, value := range []any{person, &person, info, &info} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, value)
			assert.Contains(t, out, "REDACTED", verb)
			assert.NotContains(t, out, "Шариков", verb)
			assert.NotContains(t, out, "9001234567", verb)
		}
		log.Info("value", zap.Any("value", value))
	}
	for _, entry := range logs.All() {
		assert.NotContains(t, fmt.Sprint(entry.ContextMap()), "Шариков")
	}
	body, err := json.Marshal(person)
	require.NoError(t, err)
	assert.Contains(t, string(body), "Шариков", "JSON carries the data to the provider and the store")
}

func TestPhoneSpellingsAreNormalized(t *testing.T) {
	p := validPerson()
	p.Phone = "+7 (900) 123-45-67"
	require.NoError(t, p.Normalized().Validate("person"))
	assert.Equal(t, "+79001234567", p.Normalized().Phone)
}

func TestApplicantInfoValidation(t *testing.T) {
	good := ApplicantInfo{DOB: "1990-01-31", Country: "rus", Phone: "8 900 123-45-67"}.Normalized()
	require.NoError(t, good.Validate("applicant"))
	assert.Equal(t, "RUS", good.Country)
	bad := ApplicantInfo{DOB: "1990-13-01", Country: "RU", Phone: "12345"}.Normalized()
	err := bad.Validate("applicant")
	var fields validate.FieldErrors
	require.True(t, errors.As(err, &fields))
	require.Len(t, fields, 3, "every bad field at once: %v", err)
	assert.Equal(t, "applicant.dob", fields[0].Field)
	assert.Equal(t, "applicant.country", fields[1].Field)
	assert.Equal(t, "applicant.phone", fields[2].Field)
}
