// Loads our translation and Qt's own for standard dialogs. Ours is compiled into the program's resources, so it is
// found the same way installed or run from the build folder; Qt's comes from Qt's translations folder (the offline
// installer bundles it and points qt.conf at it).
#include "ui/language.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QLibraryInfo>
#include <QtCore/QLocale>
#include <QtCore/QTranslator>

namespace storybrush {

QString installLanguage(QCoreApplication& app, const QString& languageCode) {
    // Translators from an earlier call are replaced, so the language can change at run time.
    for (QTranslator* old : app.findChildren<QTranslator*>(QStringLiteral("storybrushTranslator"))) {
        QCoreApplication::removeTranslator(old);
        delete old;
    }
    const QLocale locale = languageCode.isEmpty() ? QLocale::system() : QLocale(languageCode);
    if (locale.language() != QLocale::Chinese) return QStringLiteral("en");
    const auto load = [&app](const QString& name, const QString& dir) {
        auto* translator = new QTranslator(&app);
        translator->setObjectName(QStringLiteral("storybrushTranslator"));
        if (translator->load(name, dir)) {
            QCoreApplication::installTranslator(translator);
            return true;
        }
        delete translator;
        return false;
    };
    load(QStringLiteral("qtbase_zh_CN"), QLibraryInfo::path(QLibraryInfo::TranslationsPath));
    return load(QStringLiteral("storybrush_zh_CN"), QStringLiteral(":/storybrush/translations"))
               ? QStringLiteral("zh_CN")
               : QStringLiteral("en");
}

}  // namespace storybrush
