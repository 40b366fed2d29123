package dev.transcriber.api.errors;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.exc.MismatchedInputException;

/** A JSON string with a NUL character in it (see the api's JSON body converter); its path names the field. */
public class NulInTextException extends MismatchedInputException {

    public NulInTextException(JsonParser parser) {
        super(parser, "text must not contain NUL characters", String.class);
    }

    /** The field as a caller writes it: {@code prompt}, {@code metadata.k}, {@code items[0].prompt}. */
    public String field() {
        StringBuilder field = new StringBuilder();
        for (JacksonException.Reference step : getPath()) {
            if (step.getPropertyName() != null) {
                field.append(field.isEmpty() ? "" : ".").append(step.getPropertyName());
            } else if (step.getIndex() >= 0) {
                field.append('[').append(step.getIndex()).append(']');
            }
        }
        return field.isEmpty() ? null : field.toString();
    }
}
