// Every sentence `dala` says to a volunteer, in Kazakh, Russian and English.
// Placeholders: "{1}", "{2}"... are the arguments in order; "{1:one|few|many}"
// is the word for the number in argument 1 (Russian uses all three forms,
// English the first and last, Kazakh only the first). cli_words_test.cc
// fails if a sentence lacks a language or its placeholders differ.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace dala::client::cli {

// The languages `dala` speaks, for --lang.
inline const std::vector<std::string> kLanguages = {"kk", "ru", "en"};

enum class Say {
  // the interview
  kInterviewHelp, kFinalize, kSaved, kDraftKept, kDiscarded, kFirstQuestion, kCurrentAnswer, kAddAnother,
  kYesNo, kProblems, kPressEnter, kHintInteger, kHintDecimal, kHintDate, kHintTime, kHintDateTime, kHintGeopoint,
  kHintSelectMultiple,
  // passphrase and profile
  kPassphrasePrompt, kChoosePassphrase, kRepeatPassphrase, kPassphrasesDiffer, kWrongPassphrase, kNoProfile,
  kProfileExists, kCreatedProfile, kDeviceKey, kForgottenPassphrase,
  // records
  kBadRecordId, kNoSuchRecord, kAmbiguousRecord,
  // the command line
  kUnknownCommand, kDidYouMean,
  // collect and edit
  kNameAForm, kNoDraft, kDraftFormGone, kFormLacksLanguage, kNotJson, kDoesNotFit, kFormNotFromServer,
  kAnswersKeptAsDraft, kFormOfRecordMissing, kSetWants, kNoSuchSetQuestion, kEditDoesNotFit, kNoChanges,
  kEditAfterDecision, kConfirmEdit, kEditNeedsYes, kNothingChanged, kClockBeforeBuild, kClockBeforeServer,
  kClockBehindRecords, kSetTheClock,
  // forms, drafts, list, show, verify
  kNoForms, kFormDoesNotLoad, kFormNotAdded, kFormAdded, kFormNotConverted, kFormConverted, kNoDrafts, kEditOf, kRefusedByServer, kResumeDraft,
  kNoRecords, kNoReturnedRecords, kColumnId, kColumnForm, kColumnCreated, kColumnSync, kColumnReview,
  kColumnSummary, kStateReceived, kStateHasIssues, kStateApproved, kStateRejected, kStateNone, kEditedSince,
  kConflicts, kSyncSynced, kSyncPending, kSyncRefused, kShowRecord, kShowForm, kShowCreated, kShowRevisions,
  kShowReview, kConflictIn, kVerifyChecked, kVerifyAllGood, kVerifyFailed,
  // sync and receipts
  kNotEnrolled, kNothingLost, kEnrollAgain, kSyncFailed, kLogWarning, kSyncSummary, kRestamped, kWillRetry, kHistoryConflict,
  kRecordSetAside, kClockAheadOfServer, kClockBehindServer, kNotTakenIn, kMoreNotTakenIn, kNotTakenInAdvice,
  kSentBack, kNotEveryRecord, kNotEveryUpdate, kProgressSent, kCannotCreate, kCannotWrite, kReceiptsExported,
  kNoReceipts, kColumnReceived, kColumnCovers, kColumnLogEntry, kColumnLogSize, kColumnEnvelope,
  kReceiptsExplain,
  // backup and restore
  kBackupWritten, kRestored, kRestoreOverProfile,
  // dala ui
  kUiOpenAddress, kUiCannotListen,
  // enrolment and the network (transport and enrolment reasons, cli_sync.cc)
  kEnrolled, kServerKeyIs, kRunSyncForForms, kEnrolFailed, kRejectedSequence, kCannotReach, kTlsWrongHost,
  kTlsUntrusted, kTlsWrongCa, kTlsExpired, kTlsNotYetValid, kTlsRefused, kTlsCaUnreadable, kTlsNoHandshake,
  kHttpsServer, kEnrolledElsewhere, kNotAnEnrolCode, kEnrolledDifferently, kLogBehindCheckpoint, kPlainHttp,
  kUnknownEnrolCode,
  kCount,
};

// The sentence in `lang` (kk, ru or en; anything else gets English) with its
// placeholders filled from `args`.
std::string Tr(Say what, std::string_view lang, std::initializer_list<std::string_view> args = {});

// The raw sentence with its placeholders, for the completeness test.
std::string_view RawWords(Say what, std::string_view lang);

// `text` broken at spaces into lines of at most `width` code points, each
// line after the first starting with `indent` spaces; a word longer than a
// line stands alone. Lines already in `text` are kept. width 0: unchanged.
std::string WrapText(std::string_view text, size_t width, size_t indent = 0);

// The terminal's width in columns when standard output is a terminal (or
// $COLUMNS says), else 0: output to a file or pipe is not wrapped.
size_t TerminalWidth();

}  // namespace dala::client::cli
