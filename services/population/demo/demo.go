// Package demo generates the synthetic population of the demo district:
// households living at given addresses, and their members with valid ID
// numbers (area 330211, birth date and sex encoded consistently), Chinese
// names, phones, education and marital status fitting their age. Output is
// deterministic for a seed and an address list, and streamed one household
// at a time, so that a million persons cost no more memory than a few.
// Every person in it is fictitious; the package must never read real
// personal data.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// DefaultSeed is the seed of the demo district.
const DefaultSeed = 330211

// Area is the division code every generated ID number begins with.
const Area = "330211"

// ReferenceDate is the "today" of the generated population: every birth
// and status date lies before it, whatever day the generator runs, so that
// the same seed always gives the same persons.
var ReferenceDate = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Address is a place households are registered at: the resource name of an
// address in the spatial registry and the division code of its township.
type Address struct {
	Name         string // addresses/{id}
	DivisionCode string // e.g. 330211001000
}

// Household is one generated household and its members, the head first.
type Household struct {
	// ID is the {id} to create the household under; Household.Name is
	// households/{ID}.
	ID        string
	Household *populationv1.Household
	Members   []*populationv1.Person
}

// Generator makes households one at a time.
type Generator struct {
	rng       *rand.Rand
	addresses []Address
	n         int
	// seqs counts the ID numbers used per birth day and sex, so that no
	// number is issued twice.
	seqs map[int32]uint16
}

// New returns a generator of the population living at addresses.
func New(seed uint64, addresses []Address) (*Generator, error) {
	if len(addresses) == 0 {
		return nil, errors.New("demo: no addresses to register households at")
	}
	for _, a := range addresses {
		if !strings.HasPrefix(a.Name, "addresses/") || len(a.Name) == len("addresses/") {
			return nil, fmt.Errorf("demo: %q is not an address resource name", a.Name)
		}
		if err := standard.CheckDivisionCode(a.DivisionCode); err != nil {
			return nil, fmt.Errorf("demo: division code of %s: %w", a.Name, err)
		}
	}
	return &Generator{
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		addresses: addresses,
		seqs:      make(map[int32]uint16),
	}, nil
}

// Generate calls fn with households until they hold exactly persons
// members (the last household is cut short when needed, never below its
// head). It stops at fn's first error and returns it.
func Generate(seed uint64, addresses []Address, persons int, fn func(Household) error) error {
	g, err := New(seed, addresses)
	if err != nil {
		return err
	}
	for made := 0; made < persons; {
		h := g.Next()
		if left := persons - made; len(h.Members) > left {
			h.Members = h.Members[:left]
		}
		made += len(h.Members)
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

// Next makes the next household.
func (g *Generator) Next() Household {
	g.n++
	addr := g.addresses[g.rng.IntN(len(g.addresses))]
	number := township(addr.DivisionCode) + fmt.Sprintf("%07d", g.n)
	h := Household{
		ID: number,
		Household: &populationv1.Household{
			Name:              "households/" + number,
			HouseholdNumber:   number,
			HouseholdType:     populationv1.HouseholdType_HOUSEHOLD_TYPE_FAMILY,
			RegisteredAddress: addr.Name,
		},
	}
	f := &family{g: g, h: &h, addr: addr}
	if g.rng.IntN(20) == 0 {
		h.Household.HouseholdType = populationv1.HouseholdType_HOUSEHOLD_TYPE_COLLECTIVE
		f.collective()
	} else {
		f.family()
	}
	return h
}

// township is the 3-digit township part of a 12-digit division code, which
// household numbers begin with; 000 for a county-level code.
func township(code string) string {
	if len(code) == 12 {
		return code[6:9]
	}
	return "000"
}

// family builds one household's members.
type family struct {
	g    *Generator
	h    *Household
	addr Address
}

// member describes a person to add.
type member struct {
	relation populationv1.Relation
	male     bool
	age      int // in whole years at ReferenceDate
	surname  string
}

func (f *family) rng() *rand.Rand { return f.g.rng }

func (f *family) family() {
	r := f.rng()
	headAge := 25 + r.IntN(60)
	if r.IntN(3) == 0 {
		headAge = 30 + r.IntN(30)
	}
	headMale := r.IntN(10) < 7
	surname := pickSurname(r)
	head := f.add(member{populationv1.Relation_RELATION_HEAD, headMale, headAge, surname})
	married := headAge >= 24 && r.IntN(10) < 8
	youngestParent := headAge
	var spouse *populationv1.Person
	fatherSurname := surname
	if married {
		spouseAge := max(20, headAge+r.IntN(9)-4)
		spouseSurname := pickSurname(r)
		if !headMale {
			fatherSurname = spouseSurname
		}
		spouse = f.add(member{populationv1.Relation_RELATION_SPOUSE, !headMale, spouseAge, spouseSurname})
		head.MaritalStatus, spouse.MaritalStatus = populationv1.MaritalStatus_MARITAL_STATUS_MARRIED, populationv1.MaritalStatus_MARITAL_STATUS_MARRIED
		youngestParent = min(headAge, spouseAge)
	} else if headAge >= 30 {
		head.MaritalStatus = []populationv1.MaritalStatus{
			populationv1.MaritalStatus_MARITAL_STATUS_SINGLE, populationv1.MaritalStatus_MARITAL_STATUS_DIVORCED,
			populationv1.MaritalStatus_MARITAL_STATUS_WIDOWED,
		}[r.IntN(3)]
	}
	// Children mostly take their father's surname.
	childSurname := fatherSurname
	if r.IntN(8) == 0 {
		childSurname = surname
	}
	children := []int{0, 1, 1, 1, 2, 2, 2, 3}[r.IntN(8)]
	var adultChildAge int
	for i := 0; i < children; i++ {
		age := youngestParent - 22 - r.IntN(16)
		if age < 0 || age > 35 {
			continue
		}
		male := r.IntN(2) == 0
		rel := populationv1.Relation_RELATION_DAUGHTER
		if male {
			rel = populationv1.Relation_RELATION_SON
		}
		f.add(member{rel, male, age, childSurname})
		adultChildAge = max(adultChildAge, age)
	}
	if headAge < 55 && r.IntN(7) == 0 {
		f.add(member{populationv1.Relation_RELATION_PARENT, r.IntN(2) == 0, min(95, headAge+22+r.IntN(12)), pickSurname(r)})
	}
	if adultChildAge >= 25 && r.IntN(3) == 0 {
		f.add(member{populationv1.Relation_RELATION_GRANDCHILD, r.IntN(2) == 0, adultChildAge - 22 - r.IntN(4), surname})
	}
	if r.IntN(30) == 0 {
		f.add(member{populationv1.Relation_RELATION_SIBLING, r.IntN(2) == 0, max(18, headAge+r.IntN(11)-5), surname})
	}
	// Some members died or moved out, and stay on the household's record
	// as its former members; never the head, who stays its active head.
	for _, p := range f.h.Members[1:] {
		switch age := ageOf(p); {
		case age >= 70 && r.IntN(12) == 0:
			p.Status, p.StatusDate = populationv1.PersonStatus_PERSON_STATUS_DECEASED, f.dateAfter(p.GetBirthDate(), age)
			p.Phone = ""
			if p == spouse {
				head.MaritalStatus = populationv1.MaritalStatus_MARITAL_STATUS_WIDOWED
			}
		case age >= 18 && age < 40 && r.IntN(40) == 0:
			p.Status, p.StatusDate = populationv1.PersonStatus_PERSON_STATUS_MOVED_OUT, f.dateAfter(p.GetBirthDate(), age)
		}
	}
}

func (f *family) collective() {
	r := f.rng()
	n := 3 + r.IntN(10)
	for i := 0; i < n; i++ {
		rel := populationv1.Relation_RELATION_OTHER
		if i == 0 {
			rel = populationv1.Relation_RELATION_HEAD
		}
		p := f.add(member{rel, r.IntN(2) == 0, 18 + r.IntN(40), pickSurname(r)})
		if ageOf(p) >= 25 {
			p.MaritalStatus = []populationv1.MaritalStatus{
				populationv1.MaritalStatus_MARITAL_STATUS_SINGLE, populationv1.MaritalStatus_MARITAL_STATUS_MARRIED,
			}[r.IntN(2)]
		}
	}
}

// add makes a person of the household and appends them.
func (f *family) add(m member) *populationv1.Person {
	r := f.rng()
	birth := f.g.birthDate(m.age)
	id, birth := f.g.idNumber(birth, m.male)
	sex := populationv1.Sex_SEX_FEMALE
	if m.male {
		sex = populationv1.Sex_SEX_MALE
	}
	p := &populationv1.Person{
		IdNumber:          id,
		DisplayName:       m.surname + givenName(r, m.male),
		Sex:               sex,
		BirthDate:         birth.Format(time.DateOnly),
		Ethnicity:         ethnicity(r),
		Household:         f.h.Household.GetName(),
		Relation:          m.relation,
		RegisteredAddress: f.addr.Name,
		ResidenceAddress:  f.addr.Name,
		Education:         education(r, m.age),
		Status:            populationv1.PersonStatus_PERSON_STATUS_ACTIVE,
	}
	if r.IntN(7) == 0 {
		p.ResidenceAddress = f.g.addresses[r.IntN(len(f.g.addresses))].Name
	}
	if m.age >= 16 {
		p.MaritalStatus = populationv1.MaritalStatus_MARITAL_STATUS_SINGLE
	}
	if m.age >= 14 && r.IntN(10) > 0 {
		p.Phone = mobile(r)
	} else if m.relation == populationv1.Relation_RELATION_HEAD && r.IntN(4) == 0 {
		p.Phone = fmt.Sprintf("0574-8%07d", r.IntN(10000000))
	}
	if r.IntN(30) == 0 && m.age >= 10 {
		p.FormerNames = []string{m.surname + givenName(r, m.male)}
	}
	f.h.Members = append(f.h.Members, p)
	return p
}

// dateAfter is a date between a person's 18th birthday (or birth) and the
// reference date.
func (f *family) dateAfter(birth string, age int) string {
	b, _ := time.Parse(time.DateOnly, birth)
	from := b.AddDate(min(18, age), 0, 0)
	days := int(ReferenceDate.Sub(from).Hours()/24) - 1
	if days < 1 {
		return birth
	}
	return from.AddDate(0, 0, f.rng().IntN(days)).Format(time.DateOnly)
}

// birthDate is a day on which a person of the age at ReferenceDate was
// born.
func (g *Generator) birthDate(age int) time.Time {
	last := ReferenceDate.AddDate(-age, 0, -1) // the latest birthday of that age
	return last.AddDate(0, 0, -g.rng.IntN(365))
}

// idNumber issues an unused ID number for a birth date and sex: the
// sequence number is odd for men and even for women, 500 per day and sex;
// a full day moves the birth a day earlier. It returns the birth date the
// number encodes.
func (g *Generator) idNumber(birth time.Time, male bool) (string, time.Time) {
	for {
		key := int32(birth.Unix()/86400) * 2
		if male {
			key++
		}
		k := g.seqs[key]
		if k < 500 {
			g.seqs[key] = k + 1
			seq := int(k) * 2
			if male {
				seq++
			}
			id, err := standard.MakeIDNumber(Area, birth, seq)
			if err != nil {
				panic(fmt.Sprintf("demo: MakeIDNumber: %v", err)) // the generator's own inputs are always valid
			}
			return id, birth
		}
		birth = birth.AddDate(0, 0, -1)
	}
}

func ageOf(p *populationv1.Person) int {
	b, _ := time.Parse(time.DateOnly, p.GetBirthDate())
	age := ReferenceDate.Year() - b.Year()
	if ReferenceDate.Month() < b.Month() || ReferenceDate.Month() == b.Month() && ReferenceDate.Day() < b.Day() {
		age--
	}
	return age
}

// Surnames weighted roughly as in Ningbo: the national top ten, then the
// local ones (俞, 邬, 应, 竺 …).
var surnames = []struct {
	s string
	w int
}{
	{"王", 90}, {"李", 60}, {"张", 70}, {"陈", 95}, {"刘", 40}, {"杨", 30}, {"黄", 30}, {"赵", 20}, {"吴", 35}, {"周", 40},
	{"徐", 35}, {"孙", 15}, {"胡", 35}, {"朱", 25}, {"林", 20}, {"何", 15}, {"郭", 10}, {"马", 10}, {"罗", 8}, {"郑", 20},
	{"沈", 15}, {"俞", 20}, {"邬", 10}, {"应", 12}, {"虞", 8}, {"乐", 8}, {"鲍", 6}, {"竺", 5}, {"毛", 10}, {"叶", 15},
	{"方", 12}, {"谢", 10}, {"蒋", 12}, {"戴", 10}, {"金", 12}, {"史", 8}, {"顾", 8}, {"贺", 8}, {"包", 6}, {"舒", 5},
	{"欧阳", 2}, {"诸葛", 1},
}

var surnameTotal = func() int {
	t := 0
	for _, s := range surnames {
		t += s.w
	}
	return t
}()

func pickSurname(r *rand.Rand) string {
	n := r.IntN(surnameTotal)
	for _, s := range surnames {
		if n < s.w {
			return s.s
		}
		n -= s.w
	}
	return surnames[0].s
}

var (
	maleChars   = []rune("伟强磊军勇杰涛明超刚建国志海飞鹏辉俊峰凯文斌波宁浩宇轩晨阳博睿哲明杭航鑫磊彬")
	femaleChars = []rune("芳娜敏静丽艳娟秀霞桂英华红玉兰燕婷雪琳颖洁萍慧倩欣怡佳悦蕾菲璐瑶梦雨")
)

func givenName(r *rand.Rand, male bool) string {
	pool := femaleChars
	if male {
		pool = maleChars
	}
	if r.IntN(7) == 0 {
		return string(pool[r.IntN(len(pool))])
	}
	return string(pool[r.IntN(len(pool))]) + string(pool[r.IntN(len(pool))])
}

// minorities are the groups other than 汉族 found in Zhejiang: 畲族 above
// all, then groups who came for work.
var minorities = []string{"22", "22", "22", "03", "15", "06", "08", "09", "12", "02", "11"}

func ethnicity(r *rand.Rand) string {
	if r.IntN(50) == 0 {
		return minorities[r.IntN(len(minorities))]
	}
	return "01"
}

var mobilePrefixes = []string{"130", "133", "135", "136", "137", "138", "139", "150", "151", "153", "157", "158", "159", "177", "180", "181", "186", "187", "188", "189", "199"}

func mobile(r *rand.Rand) string {
	return mobilePrefixes[r.IntN(len(mobilePrefixes))] + fmt.Sprintf("%08d", r.IntN(100000000))
}

// education is a level fitting the age: pupils are at the level of their
// age, adults spread the younger the more educated.
func education(r *rand.Rand, age int) populationv1.Education {
	switch {
	case age < 6:
		return populationv1.Education_EDUCATION_UNSPECIFIED
	case age < 12:
		return populationv1.Education_EDUCATION_PRIMARY
	case age < 15:
		return populationv1.Education_EDUCATION_JUNIOR_HIGH
	case age < 18:
		if r.IntN(3) == 0 {
			return populationv1.Education_EDUCATION_SECONDARY_VOCATIONAL
		}
		return populationv1.Education_EDUCATION_HIGH_SCHOOL
	}
	levels := []populationv1.Education{
		populationv1.Education_EDUCATION_PRIMARY, populationv1.Education_EDUCATION_JUNIOR_HIGH,
		populationv1.Education_EDUCATION_HIGH_SCHOOL, populationv1.Education_EDUCATION_SECONDARY_VOCATIONAL,
		populationv1.Education_EDUCATION_JUNIOR_COLLEGE, populationv1.Education_EDUCATION_UNDERGRADUATE,
		populationv1.Education_EDUCATION_POSTGRADUATE,
	}
	// The younger, the further up the list the draw may reach.
	reach := len(levels)
	switch {
	case age >= 65:
		reach = 4
	case age >= 45:
		reach = 6
	}
	lo := 0
	if age < 45 {
		lo = 1
	}
	return levels[lo+r.IntN(reach-lo)]
}

// Seed creates the population through the registry's API: each household,
// then its members, head first. Records that exist already are skipped,
// so seeding twice is harmless. It returns how many persons it created.
func Seed(ctx context.Context, c populationv1.PopulationServiceClient, seed uint64, addresses []Address, persons int) (created int, err error) {
	err = Generate(seed, addresses, persons, func(h Household) error {
		_, err := c.CreateHousehold(ctx, &populationv1.CreateHouseholdRequest{Household: h.Household, HouseholdId: h.ID})
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("seed %s: %w", h.Household.GetName(), err)
		}
		for _, p := range h.Members {
			_, err := c.CreatePerson(ctx, &populationv1.CreatePersonRequest{Person: p})
			if status.Code(err) == codes.AlreadyExists {
				continue
			}
			if err != nil {
				return fmt.Errorf("seed a member of %s: %w", h.Household.GetName(), err)
			}
			created++
		}
		return nil
	})
	return created, err
}
