package population

// The national code tables the registry's fields use. The API speaks in
// enum names; departments exchanging files speak in these codes, so each
// table maps both ways and its test pins every entry.

// Ethnicity is one ethnic group of GB/T 3304-1991 (中国各民族名称的罗马字母
// 拼写法和代码): its 2-digit code and its name.
type Ethnicity struct {
	Code, Name string
}

// Ethnicities lists the 56 recognised ethnic groups in code order, then 97
// (其他未识别民族, persons of a group not yet recognised) and 98
// (外国血统中国籍人士, naturalised citizens of foreign descent).
var Ethnicities = []Ethnicity{
	{"01", "汉族"}, {"02", "蒙古族"}, {"03", "回族"}, {"04", "藏族"}, {"05", "维吾尔族"},
	{"06", "苗族"}, {"07", "彝族"}, {"08", "壮族"}, {"09", "布依族"}, {"10", "朝鲜族"},
	{"11", "满族"}, {"12", "侗族"}, {"13", "瑶族"}, {"14", "白族"}, {"15", "土家族"},
	{"16", "哈尼族"}, {"17", "哈萨克族"}, {"18", "傣族"}, {"19", "黎族"}, {"20", "傈僳族"},
	{"21", "佤族"}, {"22", "畲族"}, {"23", "高山族"}, {"24", "拉祜族"}, {"25", "水族"},
	{"26", "东乡族"}, {"27", "纳西族"}, {"28", "景颇族"}, {"29", "柯尔克孜族"}, {"30", "土族"},
	{"31", "达斡尔族"}, {"32", "仫佬族"}, {"33", "羌族"}, {"34", "布朗族"}, {"35", "撒拉族"},
	{"36", "毛南族"}, {"37", "仡佬族"}, {"38", "锡伯族"}, {"39", "阿昌族"}, {"40", "普米族"},
	{"41", "塔吉克族"}, {"42", "怒族"}, {"43", "乌孜别克族"}, {"44", "俄罗斯族"}, {"45", "鄂温克族"},
	{"46", "德昂族"}, {"47", "保安族"}, {"48", "裕固族"}, {"49", "京族"}, {"50", "塔塔尔族"},
	{"51", "独龙族"}, {"52", "鄂伦春族"}, {"53", "赫哲族"}, {"54", "门巴族"}, {"55", "珞巴族"},
	{"56", "基诺族"},
	{"97", "其他未识别民族"}, {"98", "外国血统中国籍人士"},
}

var ethnicityNames = func() map[string]string {
	m := make(map[string]string, len(Ethnicities))
	for _, e := range Ethnicities {
		m[e.Code] = e.Name
	}
	return m
}()

// EthnicityName returns the name of an ethnicity code, and whether the code
// exists.
func EthnicityName(code string) (string, bool) {
	n, ok := ethnicityNames[code]
	return n, ok
}

// Relation is a person's relation to the head of their household.
type Relation string

const (
	RelationHead       Relation = "HEAD"
	RelationSpouse     Relation = "SPOUSE"
	RelationSon        Relation = "SON"
	RelationDaughter   Relation = "DAUGHTER"
	RelationGrandchild Relation = "GRANDCHILD"
	RelationParent     Relation = "PARENT"
	RelationSibling    Relation = "SIBLING"
	RelationOther      Relation = "OTHER"
)

// Relations lists every relation with its GB/T 4761-2008 (家庭关系代码)
// category code and name. GB/T 4761 refines each category (11 夫, 12 妻,
// 21 独生子 …); the registry records the category. Its many named other
// relatives (伯父, 儿媳 …) are recorded as 其他, whose code in household
// registration is 99. The codes order members head first.
var Relations = []struct {
	Relation   Relation
	Code, Name string
}{
	{RelationHead, "02", "户主"},
	{RelationSpouse, "10", "配偶"},
	{RelationSon, "20", "子"},
	{RelationDaughter, "30", "女"},
	{RelationGrandchild, "40", "孙子女"},
	{RelationParent, "50", "父母"},
	{RelationSibling, "70", "兄弟姐妹"},
	{RelationOther, "99", "其他"},
}

// RelationCode returns the GB/T 4761 code of r, "" for an unknown relation.
func RelationCode(r Relation) string {
	for _, x := range Relations {
		if x.Relation == r {
			return x.Code
		}
	}
	return ""
}

// Education is the highest level of education (GB/T 4658-2006 levels).
type Education string

const (
	EducationPostgraduate        Education = "POSTGRADUATE"
	EducationUndergraduate       Education = "UNDERGRADUATE"
	EducationJuniorCollege       Education = "JUNIOR_COLLEGE"
	EducationSecondaryVocational Education = "SECONDARY_VOCATIONAL"
	EducationHighSchool          Education = "HIGH_SCHOOL"
	EducationJuniorHigh          Education = "JUNIOR_HIGH"
	EducationPrimary             Education = "PRIMARY"
	EducationOther               Education = "OTHER"
)

// Educations lists every level with its GB/T 4658-2006 code and name.
var Educations = []struct {
	Education  Education
	Code, Name string
}{
	{EducationPostgraduate, "10", "研究生教育"},
	{EducationUndergraduate, "20", "大学本科教育"},
	{EducationJuniorCollege, "30", "大学专科教育"},
	{EducationSecondaryVocational, "40", "中等职业教育"},
	{EducationHighSchool, "60", "普通高级中学教育"},
	{EducationJuniorHigh, "70", "初级中学教育"},
	{EducationPrimary, "80", "小学教育"},
	{EducationOther, "90", "其他"},
}

// MaritalStatus is a person's marital status (GB/T 2261.2-2003).
type MaritalStatus string

const (
	MaritalSingle    MaritalStatus = "SINGLE"
	MaritalMarried   MaritalStatus = "MARRIED"
	MaritalWidowed   MaritalStatus = "WIDOWED"
	MaritalDivorced  MaritalStatus = "DIVORCED"
	MaritalNotStated MaritalStatus = "NOT_STATED"
)

// MaritalStatuses lists every status with its GB/T 2261.2-2003 code and
// name. The standard refines 20 into 21 初婚, 22 再婚 and 23 复婚; the
// registry records 20.
var MaritalStatuses = []struct {
	Status     MaritalStatus
	Code, Name string
}{
	{MaritalSingle, "10", "未婚"},
	{MaritalMarried, "20", "已婚"},
	{MaritalWidowed, "30", "丧偶"},
	{MaritalDivorced, "40", "离婚"},
	{MaritalNotStated, "90", "未说明的婚姻状况"},
}

// SexCode returns the GB/T 2261.1 code of s: 1 男, 2 女.
func SexCode(s Sex) string {
	switch s {
	case SexMale:
		return "1"
	case SexFemale:
		return "2"
	}
	return ""
}
