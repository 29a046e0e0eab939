// Loads our translation (compiled into the resources) and Qt's own for standard dialogs.
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
    return load(QStringLiteral("storybrush_zh_CN"), QStringLiteral(":/storybrush/translations")) ? QStringLiteral("zh_CN")
                                                                                              : QStringLiteral("en");
}

}  // namespace storybrush
