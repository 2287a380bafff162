from tests.flowscope.checks.urlconfs import CATCH_ALL, FLOWSCOPE

urlpatterns = [*FLOWSCOPE, CATCH_ALL]
