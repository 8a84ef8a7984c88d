package identity

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
