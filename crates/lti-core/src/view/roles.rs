//! Short role names from LTI 1.3 role URIs (core §A.2): the context
//! (membership) vocabulary with its sub-roles, the institution and system
//! vocabularies, and the simple names platforms may send for context roles
//! (§A.2.3: `Instructor` for `...membership#Instructor`).

/// `http://purl.imsglobal.org/vocab/lis/v2/membership#<role>` (§A.2.3).
const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
/// `http://purl.imsglobal.org/vocab/lis/v2/membership/<role>#<sub-role>` (§A.2.3.1).
const SUB_ROLE: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership/";
/// Institution roles (§A.2.2).
const INSTITUTION: &str = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#";
/// LIS system roles (§A.2.1).
const SYSTEM: &str = "http://purl.imsglobal.org/vocab/lis/v2/system/person#";
/// LTI system roles (§A.2.1.2).
const LTI_SYSTEM: &str = "http://purl.imsglobal.org/vocab/lti/system/person#";

/// The context roles, which are also the simple names platforms may send.
const CONTEXT_ROLES: [&str; 8] = [
    "Administrator",
    "ContentDeveloper",
    "Instructor",
    "Learner",
    "Mentor",
    "Manager",
    "Member",
    "Officer",
];

/// Each context role's sub-roles (§A.2.3.1). `Learner#Instructor` is left out
/// on purpose: as `Instructor` it would read as the principal role, so it
/// stays in `role_uris` only.
const SUB_ROLES: [(&str, &[&str]); 8] = [
    (
        "Administrator",
        &[
            "Administrator",
            "Developer",
            "ExternalDeveloper",
            "ExternalSupport",
            "ExternalSystemAdministrator",
            "Support",
            "SystemAdministrator",
        ],
    ),
    (
        "ContentDeveloper",
        &[
            "ContentDeveloper",
            "ContentExpert",
            "ExternalContentExpert",
            "Librarian",
        ],
    ),
    (
        "Instructor",
        &[
            "ExternalInstructor",
            "Grader",
            "GuestInstructor",
            "Lecturer",
            "PrimaryInstructor",
            "SecondaryInstructor",
            "TeachingAssistant",
            "TeachingAssistantGroup",
            "TeachingAssistantOffering",
            "TeachingAssistantSection",
            "TeachingAssistantSectionAssociation",
            "TeachingAssistantTemplate",
        ],
    ),
    (
        "Learner",
        &[
            "ExternalLearner",
            "GuestLearner",
            "Learner",
            "NonCreditLearner",
        ],
    ),
    (
        "Manager",
        &[
            "AreaManager",
            "CourseCoordinator",
            "ExternalObserver",
            "Manager",
            "Observer",
        ],
    ),
    ("Member", &["Member"]),
    (
        "Mentor",
        &[
            "Advisor",
            "Auditor",
            "ExternalAdvisor",
            "ExternalAuditor",
            "ExternalLearningFacilitator",
            "ExternalMentor",
            "ExternalReviewer",
            "ExternalTutor",
            "LearningFacilitator",
            "Mentor",
            "Reviewer",
            "Tutor",
        ],
    ),
    (
        "Officer",
        &[
            "Chair",
            "Communications",
            "Secretary",
            "Treasurer",
            "Vice-Chair",
        ],
    ),
];

/// Institution roles; `None` (no role) maps to nothing.
const INSTITUTION_ROLES: [&str; 13] = [
    "Administrator",
    "Faculty",
    "Guest",
    "Other",
    "Staff",
    "Student",
    "Alumni",
    "Instructor",
    "Learner",
    "Member",
    "Mentor",
    "Observer",
    "ProspectiveStudent",
];

/// System roles; `None` (no role) maps to nothing.
const SYSTEM_ROLES: [&str; 6] = [
    "Administrator",
    "AccountAdmin",
    "Creator",
    "SysAdmin",
    "SysSupport",
    "User",
];

/// Which vocabulary a role belongs to, in the order short names are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vocabulary {
    Context,
    Institution,
    System,
}

/// The short name of one role as sent, with its vocabulary; `None` for a
/// role outside the vocabularies (kept in `role_uris` only).
fn short_name(role: &str) -> Option<(Vocabulary, &'static str)> {
    let known = |names: &[&'static str], name: &str| names.iter().copied().find(|n| *n == name);
    if let Some(name) = role.strip_prefix(MEMBERSHIP) {
        return known(&CONTEXT_ROLES, name).map(|n| (Vocabulary::Context, n));
    }
    if let Some(rest) = role.strip_prefix(SUB_ROLE) {
        let (principal, sub) = rest.split_once('#')?;
        let (_, subs) = SUB_ROLES.iter().find(|(p, _)| *p == principal)?;
        return known(subs, sub).map(|n| (Vocabulary::Context, n));
    }
    if let Some(name) = role.strip_prefix(INSTITUTION) {
        return known(&INSTITUTION_ROLES, name).map(|n| (Vocabulary::Institution, n));
    }
    if let Some(name) = role.strip_prefix(SYSTEM) {
        return known(&SYSTEM_ROLES, name).map(|n| (Vocabulary::System, n));
    }
    if role == format!("{LTI_SYSTEM}TestUser") {
        return Some((Vocabulary::System, "TestUser"));
    }
    known(&CONTEXT_ROLES, role).map(|n| (Vocabulary::Context, n))
}

/// The short names of `roles`: context roles first, then institution roles,
/// then system roles, each group in the order sent, every name once.
pub(crate) fn short_names<'a>(
    roles: impl IntoIterator<Item = &'a str> + Clone,
) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for vocabulary in [
        Vocabulary::Context,
        Vocabulary::Institution,
        Vocabulary::System,
    ] {
        for (of, name) in roles.clone().into_iter().filter_map(short_name) {
            if of == vocabulary && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(roles: &[&str]) -> Vec<&'static str> {
        short_names(roles.iter().copied())
    }

    #[test]
    fn context_roles_and_their_simple_names() {
        for role in CONTEXT_ROLES {
            assert_eq!(names(&[&format!("{MEMBERSHIP}{role}")]), [role]);
            assert_eq!(names(&[role]), [role], "simple name {role}");
        }
    }

    #[test]
    fn sub_roles_map_to_their_own_name() {
        assert_eq!(
            names(&[
                "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
            ]),
            ["TeachingAssistant"]
        );
        for (principal, subs) in SUB_ROLES {
            for sub in subs {
                assert_eq!(names(&[&format!("{SUB_ROLE}{principal}#{sub}")]), [*sub]);
            }
        }
    }

    #[test]
    fn a_learner_sub_role_never_reads_as_instructor() {
        assert!(names(&[&format!("{SUB_ROLE}Learner#Instructor")]).is_empty());
    }

    #[test]
    fn institution_and_system_roles() {
        for role in INSTITUTION_ROLES {
            assert_eq!(names(&[&format!("{INSTITUTION}{role}")]), [role]);
        }
        for role in SYSTEM_ROLES {
            assert_eq!(names(&[&format!("{SYSTEM}{role}")]), [role]);
        }
        assert_eq!(names(&[&format!("{LTI_SYSTEM}TestUser")]), ["TestUser"]);
        assert!(names(&[&format!("{INSTITUTION}None"), &format!("{SYSTEM}None")]).is_empty());
    }

    #[test]
    fn context_roles_come_before_institution_and_system_roles() {
        let sent = [
            &format!("{SYSTEM}User") as &str,
            &format!("{INSTITUTION}Faculty"),
            &format!("{INSTITUTION}Instructor"),
            &format!("{MEMBERSHIP}Learner"),
            "Mentor",
            &format!("{SUB_ROLE}Instructor#Grader"),
        ];
        assert_eq!(
            names(&sent),
            [
                "Learner",
                "Mentor",
                "Grader",
                "Faculty",
                "Instructor",
                "User"
            ]
        );
    }

    #[test]
    fn each_name_once() {
        let sent = [
            &format!("{MEMBERSHIP}Instructor") as &str,
            "Instructor",
            &format!("{INSTITUTION}Instructor"),
        ];
        assert_eq!(names(&sent), ["Instructor"]);
    }

    #[test]
    fn unknown_roles_have_no_short_name() {
        for role in [
            "Teacher",
            "instructor",
            "TeachingAssistant",
            "urn:lti:role:ims/lis/Instructor",
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Teacher",
            "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#Teacher",
            "http://purl.imsglobal.org/vocab/lis/v2/membership/Teacher#Grader",
            "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor",
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor#x",
            "https://example.edu/roles#Instructor",
            "",
        ] {
            assert!(names(&[role]).is_empty(), "{role}");
        }
    }
}
