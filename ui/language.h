// Which language the studio speaks: the system's (Chinese or English) unless the user chose one.
#pragma once

#include <QtCore/QString>

class QCoreApplication;

namespace storybrush {

// Installs the translators for `languageCode` ("zh_CN", "en"; empty: the system locale). Returns the
// language actually in use; unknown languages fall back to English.
QString installLanguage(QCoreApplication& app, const QString& languageCode = {});

}  // namespace storybrush
